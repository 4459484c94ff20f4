"""OAuth through the API, TikTok against the fake TikTok: the state is sealed, bound to the browser that
started the flow, works once (across server processes), and the callback address never comes from the
request's ``Host``. YouTube and the callback's other refusals: test_social_oauth_youtube.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar.testing import TestClient
from sqlalchemy import func, select
from tests.fakes.tiktok_api import CLIENT_KEY, OPEN_ID, USERNAME, FakeTikTok, s256
from tests.server.conftest import build_context, register
from tests.server.oauth_support import (  # noqa: F401 - pytest fixtures
    CALLBACK,
    back_at_oasis,
    browser,
    consent,
    dashboard_query,
    fake_google_tls,
    fresh_google,
    give_cookie,
    oauth_api_env,
    public_browser,
    query_of,
    refused,
    running_google,
    signed_in_user,
    start_oauth,
)
from tests.server.publishing_support import account_row, fresh_tiktok, running_tiktok  # noqa: F401
from tests.server.test_social_api import accounts, server_catalog  # noqa: F401 - a pytest fixture

from oasis_core.catalog import ProviderCatalog
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.db.models import UsedOAuthState
from oasis_server.db.types import utcnow
from oasis_server.publishing.oauth_flow import digest_of, spend_state
from oasis_server.publishing.oauth_state import STATE_TTL_SECONDS, OAuthState, seal

# -- TikTok ----------------------------------------------------------------------------------------


def test_tiktok_oauth_end_to_end(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = user
    started = start_oauth(client, token)
    url = started.json()["authorization_url"]
    query = query_of(url)
    assert url.startswith(f"{tiktok.url}/v2/auth/authorize/?")
    assert query["client_key"] == CLIENT_KEY
    assert query["redirect_uri"] == CALLBACK
    assert set(query["scope"].split(",")) == {"user.info.basic", "video.publish"}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and "=" not in query["code_challenge"]
    assert user_id not in query["state"], "the state must not show who is connecting"
    cookie = started.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("oasis_oauth_tiktok=")
    assert {"httponly", "secure", "path", "max-age", "samesite"} <= attributes
    assert "Path=/api/social/callback/tiktok" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={STATE_TTL_SECONDS}" in cookie

    response = back_at_oasis(client, consent(url))
    assert dashboard_query(response) == {"platform": "tiktok", "status": "connected"}
    assert (
        "oasis_oauth_tiktok=" in response.headers["set-cookie"]
        and "Max-Age=0" in response.headers["set-cookie"]
    )
    items = accounts(client, token)
    assert [(a["platform"], a["username"], a["status"]) for a in items] == [("tiktok", USERNAME, "active")]
    row = account_row(context, user_id, "tiktok")
    assert row is not None and row.account_id == OPEN_ID
    exchange = tiktok.requests_to(r"/v2/oauth/token/$")[-1]
    form = query_of("?" + exchange.body.decode())
    assert s256(form["code_verifier"]) == query["code_challenge"]
    assert form["redirect_uri"] == CALLBACK


def test_consent_refused_at_the_platform_reports_a_code_not_the_platforms_text(
    client: TestClient[Any], user: tuple[str, str]
) -> None:
    token, _ = user
    state = query_of(start_oauth(client, token).json()["authorization_url"])["state"]
    response = client.get(
        "/api/social/callback/tiktok",
        params={"state": state, "error": "access_denied", "error_description": "Call +1 555 0100 now"},
        follow_redirects=False,
    )
    assert dashboard_query(response) == {"platform": "tiktok", "status": "failed", "reason": "denied"}
    assert "555" not in response.headers["location"]
    assert accounts(client, token) == []


# -- the state: sealed, this browser, once -------------------------------------------------------------


def forged_state(context: ServerContext, user_id: str, platform: str, issued: float, browser: str) -> str:
    payload = {"u": user_id, "p": platform, "v": "v" * 64, "b": browser, "t": issued, "n": "00"}
    return context.secrets.encrypt(json.dumps(payload))


def test_a_forged_expired_or_foreign_state_is_400_and_spends_nothing(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = user
    started = start_oauth(client, token)
    query = query_of(started.json()["authorization_url"])
    nonce = started.cookies["oasis_oauth_tiktok"]
    code = query_of(consent(started.json()["authorization_url"]))["code"]
    mine = digest_of(nonce)
    states = {
        "forged": ("not-a-sealed-state", "not valid"),
        "tampered": (
            query["state"][:-4] + ("AAAA" if not query["state"].endswith("AAAA") else "BBBB"),
            "not valid",
        ),
        "expired": (
            forged_state(context, user_id, "tiktok", time.time() - STATE_TTL_SECONDS - 5, mine),
            "expired",
        ),
        "from the future": (forged_state(context, user_id, "tiktok", time.time() + 3600, mine), "expired"),
        "other platform": (seal(context.secrets, user_id, "youtube", "v" * 64, mine), "another platform"),
        "no browser binding": (
            context.secrets.encrypt(json.dumps({"u": user_id, "p": "tiktok", "v": "", "t": time.time()})),
            "not valid",
        ),
        "missing": ("", "no state"),
    }
    for what, (state, words) in states.items():
        response = client.get(
            "/api/social/callback/tiktok", params={"code": code, "state": state}, follow_redirects=False
        )
        assert response.status_code == 400, f"{what}: {response.status_code} {response.text}"
        assert words in response.json()["error"], f"{what}: {response.text}"
    assert accounts(client, token) == []
    assert code in tiktok.codes, "a code reached the platform on a bad state"
    good = client.get(
        "/api/social/callback/tiktok", params={"code": code, "state": query["state"]}, follow_redirects=False
    )
    assert dashboard_query(good)["status"] == "connected"


def test_consent_completed_in_another_browser_links_nothing(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    """The attack: Ada starts connecting and sends the consent link to Bob; Bob consents in his browser."""
    token, user_id = user
    url = start_oauth(client, token).json()["authorization_url"]
    callback = consent(url)  # Bob's TikTok account consents
    with browser(context) as bob:  # no cookie at all
        refused(back_at_oasis(bob, callback), "another browser")
        bob_token, _ = register(bob, "bob@example.com")
        start_oauth(bob, bob_token)  # Bob's browser now has a binding cookie, for his own flow
        refused(back_at_oasis(bob, callback), "another browser")
    assert account_row(context, user_id, "tiktok") is None
    assert query_of(callback)["code"] in tiktok.codes, "the code was exchanged for a foreign browser"


def test_an_old_cookie_does_not_bind_a_new_state(client: TestClient[Any], user: tuple[str, str]) -> None:
    token, _ = user
    first = start_oauth(client, token)
    old_nonce = first.cookies["oasis_oauth_tiktok"]
    second = consent(start_oauth(client, token).json()["authorization_url"])  # the cookie is replaced
    give_cookie(client, old_nonce)
    refused(back_at_oasis(client, second), "another browser")


def test_a_state_works_once_even_on_another_server_process(
    client: TestClient[Any],
    context: ServerContext,
    user: tuple[str, str],
    api_env: dict[str, str],
    server_catalog: ProviderCatalog,  # noqa: F811
) -> None:
    token, _ = user
    started = start_oauth(client, token)
    nonce = started.cookies["oasis_oauth_tiktok"]
    callback = consent(started.json()["authorization_url"])
    assert dashboard_query(back_at_oasis(client, callback))["status"] == "connected"
    refused(back_at_oasis(client, callback), "another browser")  # the callback cleared the cookie
    give_cookie(client, nonce)  # a replay that kept the cookie too
    refused(back_at_oasis(client, callback), "already used")
    other = build_context(api_env, catalog=server_catalog, migrate=False)  # another process, same database
    try:
        with browser(other) as second:
            give_cookie(second, nonce)
            refused(back_at_oasis(second, callback), "already used")
    finally:
        other.close()
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(UsedOAuthState)) == 1
        assert session.scalar(select(UsedOAuthState.digest)) == digest_of(query_of(callback)["state"])


def test_one_state_spent_by_many_at_once_is_spent_once(context: ServerContext) -> None:
    sealed = OAuthState("user-1", "tiktok", "", time.time(), "0" * 64)
    results: list[str] = []

    def spend() -> None:
        try:
            spend_state(context, "the-same-state", sealed)
            results.append("spent")
        except InvalidInput:
            results.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["refused"] * 5 + ["spent"]


def test_records_of_expired_states_are_purged(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str]
) -> None:
    with context.session() as session:
        session.add(UsedOAuthState(digest="0" * 64, expires_at=utcnow() - timedelta(seconds=1)))
        session.add(UsedOAuthState(digest="1" * 64, expires_at=utcnow() + timedelta(minutes=5)))
    token, _ = user
    assert dashboard_query(
        back_at_oasis(client, consent(start_oauth(client, token).json()["authorization_url"]))
    )
    with context.sessions() as session:
        kept = set(session.scalars(select(UsedOAuthState.digest)))
    assert "0" * 64 not in kept and "1" * 64 in kept and len(kept) == 2


def test_the_host_header_never_makes_the_callback_address(
    client: TestClient[Any], user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, _ = user
    started = start_oauth(client, token, host="evil.example", **{"x-forwarded-host": "evil.example"})
    url = started.json()["authorization_url"]
    assert query_of(url)["redirect_uri"] == CALLBACK
    assert "evil" not in started.headers["set-cookie"]
    parts = urlsplit(consent(url))
    response = client.get(
        f"{parts.path}?{parts.query}", headers={"host": "evil.example"}, follow_redirects=False
    )
    assert dashboard_query(response)["status"] == "connected"
    exchange = tiktok.requests_to(r"/v2/oauth/token/$")[-1]
    assert query_of("?" + exchange.body.decode())["redirect_uri"] == CALLBACK
