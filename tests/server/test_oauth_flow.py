"""The OAuth flow's rules on their own: the callback address from the settings alone, the binding cookie,
and the browser check (the API-level tests are in test_social_oauth.py)."""

from __future__ import annotations

import ipaddress
import time

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.server.conftest import NO_DOTENV

from oasis_core.errors import InvalidInput
from oasis_server.publishing.oauth_flow import (
    BrowserBinding,
    binding_cookie,
    callback_url,
    check_browser,
    is_loopback,
    new_binding_cookie,
    public_base,
)
from oasis_server.publishing.oauth_state import STATE_TTL_SECONDS, OAuthState
from oasis_server.settings import Settings

BASE = Settings.from_env(
    {
        "OASIS_DATA_DIR": "/nonexistent/oasis-test-data",
        "JWT_SECRET": "j" * 48,
        "OASIS_SECRET_KEYS": "x" * 43 + "=",
    },
    dotenv=NO_DOTENV,
)
"""Development settings; the secrets are given, so nothing is written to the data folder."""


@pytest.fixture(scope="module", autouse=True)
def _settings_are_development() -> None:
    assert not BASE.production and BASE.public_url is None


def settings(**changes: object) -> Settings:
    return attrs.evolve(BASE, **changes)


non_loopback_ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).filter(lambda ip: not ip.is_loopback)
hostnames = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}(\.[a-z]{2,10}){0,2}\Z").filter(lambda h: h != "localhost")


@given(host=st.one_of(non_loopback_ips.map(str), hostnames), production=st.booleans())
def test_an_exposed_server_without_a_public_url_refuses_oauth(host: str, production: bool) -> None:
    with pytest.raises(InvalidInput, match="OASIS_PUBLIC_URL"):
        public_base(settings(host=host, production=production))


@given(
    host=st.sampled_from(
        ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "0.0.0.0", "::"]
    ),
    production=st.booleans(),
    port=st.integers(1, 65535),
)
def test_only_a_development_server_on_loopback_uses_its_own_address(
    host: str, production: bool, port: int
) -> None:
    chosen = settings(host=host, production=production, port=port)
    if production or not is_loopback(host):
        with pytest.raises(InvalidInput, match="OASIS_PUBLIC_URL"):
            public_base(chosen)
        return
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    assert callback_url(chosen, "youtube") == f"http://{shown}:{port}/api/social/callback/youtube"


@given(host=st.one_of(non_loopback_ips.map(str), hostnames, st.just("127.0.0.1")), production=st.booleans())
def test_the_public_url_is_the_callback_address_whatever_else(host: str, production: bool) -> None:
    chosen = settings(host=host, production=production, public_url="https://oasis.example/prefix")
    assert callback_url(chosen, "tiktok") == "https://oasis.example/prefix/api/social/callback/tiktok"


def test_is_loopback_knows_the_loopback_networks() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.255.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", "localhost.evil", ""))
    assert (
        is_loopback(str(ipaddress.ip_address("::ffff:127.0.0.1")))
        is ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    )


def test_the_binding_cookie_is_httponly_lax_and_scoped_to_the_callback() -> None:
    binding = BrowserBinding.new()
    cookie = new_binding_cookie("tiktok", "https://oasis.example/prefix/api/social/callback/tiktok", binding)
    header = cookie.to_header(header="")
    assert header.startswith(f"oasis_oauth_tiktok={binding.nonce};")
    assert "HttpOnly" in header and "Secure" in header and "SameSite=lax" in header
    assert "Path=/prefix/api/social/callback/tiktok" in header and f"Max-Age={STATE_TTL_SECONDS}" in header
    plain = binding_cookie("tiktok", "http://127.0.0.1:3000/api/social/callback/tiktok").to_header(header="")
    assert "Secure" not in plain and "Max-Age=0" in plain  # clearing it, over plain http in development


def sealed_for(binding: BrowserBinding) -> OAuthState:
    return OAuthState("user-1", "tiktok", "", time.time(), binding.digest)


@given(other=st.text(max_size=80))
def test_only_the_browser_holding_the_nonce_passes(other: str) -> None:
    binding = BrowserBinding.new()
    check_browser(sealed_for(binding), binding.nonce)
    with pytest.raises(InvalidInput, match="another browser"):
        check_browser(sealed_for(binding), other)  # 256 random bits: no other text matches


def test_no_cookie_is_refused() -> None:
    binding = BrowserBinding.new()
    for missing in (None, ""):
        with pytest.raises(InvalidInput, match="another browser"):
            check_browser(sealed_for(binding), missing)
