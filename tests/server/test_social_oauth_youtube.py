"""OAuth through the API, YouTube with PKCE S256 against a fake Google as strict as Google; what the
callback tells the dashboard when the exchange fails; users deleted or deactivated meanwhile; and where the
callback address comes from without ``OASIS_PUBLIC_URL``."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from tests.fakes.google_api import CHANNEL_ID, CHANNEL_TITLE, FakeGoogle, TlsFiles
from tests.fakes.google_api import s256 as google_s256
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.conftest import auth, build_context, register
from tests.server.oauth_support import (  # noqa: F401 - pytest fixtures
    GOOGLE_CONSENT_PATH,
    YT_CALLBACK,
    back_at_oasis,
    browser,
    consent,
    dashboard_query,
    fake_google_tls,
    fresh_google,
    oauth_api_env,
    public_browser,
    query_of,
    refused,
    running_google,
    signed_in_user,
    start_oauth,
)
from tests.server.publishing_support import account_row, fresh_tiktok, running_tiktok  # noqa: F401
from tests.server.test_social_api import server_catalog  # noqa: F401 - a pytest fixture

from oasis_core.catalog import ProviderCatalog
from oasis_plugins.youtube import YouTubePublisher
from oasis_server.api import social
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.api.social import REASONS
from oasis_server.db.models import User

# -- YouTube: PKCE S256 against a Google as strict as Google -----------------------------------------


def test_youtube_connects_with_pkce_end_to_end(
    client: TestClient[Any],
    context: ServerContext,
    user: tuple[str, str],
    google: FakeGoogle,
    google_tls: TlsFiles,
) -> None:
    token, user_id = user
    url = start_oauth(client, token, "youtube").json()["authorization_url"]
    query = query_of(url)
    assert url.startswith(f"{google.url}{GOOGLE_CONSENT_PATH}?")
    assert (query["redirect_uri"], query["code_challenge_method"]) == (YT_CALLBACK, "S256")
    assert (query["access_type"], query["prompt"]) == ("offline", "consent")
    response = back_at_oasis(client, consent(url, YT_CALLBACK, google_tls.client_context()))
    assert dashboard_query(response) == {"platform": "youtube", "status": "connected"}
    row = account_row(context, user_id, "youtube")
    assert row is not None and (row.account_id, row.username) == (CHANNEL_ID, CHANNEL_TITLE)
    form = query_of("?" + google.requests_to(r"^/token$")[-1].body.decode())
    assert google_s256(form["code_verifier"]) == query["code_challenge"]
    assert form["redirect_uri"] == YT_CALLBACK


def test_a_refused_exchange_reports_a_reason_code(
    client: TestClient[Any], user: tuple[str, str], google: FakeGoogle, google_tls: TlsFiles
) -> None:
    token, _ = user
    callback = consent(
        start_oauth(client, token, "youtube").json()["authorization_url"],
        YT_CALLBACK,
        google_tls.client_context(),
    )
    google.codes.clear()  # the code expired at Google meanwhile
    back = dashboard_query(back_at_oasis(client, callback))
    assert back == {"platform": "youtube", "status": "failed", "reason": "refused"}
    assert back["reason"] in REASONS


def test_a_user_deleted_before_the_callback_is_400_and_the_code_is_not_spent(
    client: TestClient[Any],
    context: ServerContext,
    user: tuple[str, str],
    google: FakeGoogle,
    google_tls: TlsFiles,
) -> None:
    token, user_id = user
    callback = consent(
        start_oauth(client, token, "youtube").json()["authorization_url"],
        YT_CALLBACK,
        google_tls.client_context(),
    )
    with context.session() as session:
        session.execute(delete(User).where(User.id == user_id))
    refused(back_at_oasis(client, callback), "no longer exists")
    assert google.requests_to(r"^/token$") == []


def test_a_user_deactivated_before_the_callback_is_400(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = user
    callback = consent(start_oauth(client, token).json()["authorization_url"])
    with context.session() as session:
        session.execute(update(User).where(User.id == user_id).values(status="inactive"))
    refused(back_at_oasis(client, callback), "deactivated")
    assert account_row(context, user_id, "tiktok") is None
    assert query_of(callback)["code"] in tiktok.codes


def test_a_user_deleted_during_the_exchange_is_400_and_the_grant_is_revoked(
    client: TestClient[Any],
    context: ServerContext,
    user: tuple[str, str],
    google: FakeGoogle,
    google_tls: TlsFiles,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, user_id = user
    callback = consent(
        start_oauth(client, token, "youtube").json()["authorization_url"],
        YT_CALLBACK,
        google_tls.client_context(),
    )
    exchange = YouTubePublisher.exchange_code
    granted: list[str] = []

    def exchange_then_lose_the_user(self: YouTubePublisher, *args: Any) -> Any:
        account = exchange(self, *args)
        granted.append(account.refresh_token)
        with context.session() as session:  # an admin deletes the user while Google answered
            session.execute(delete(User).where(User.id == user_id))
        return account

    monkeypatch.setattr(YouTubePublisher, "exchange_code", exchange_then_lose_the_user)
    refused(back_at_oasis(client, callback), "no longer exists")
    assert granted and granted[0] not in google.refresh_tokens, "the grant was not revoked at Google"
    assert google.requests_to(r"^/revoke$")


def test_a_connection_racing_another_of_the_same_platform_still_connects(
    client: TestClient[Any],
    context: ServerContext,
    user: tuple[str, str],
    tiktok: FakeTikTok,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unique (user, platform) row inserted by a concurrent callback is replaced, not a failure."""
    token, user_id = user
    callback = consent(start_oauth(client, token).json()["authorization_url"])
    real_save = social.save_account
    calls: list[str] = []

    def lose_the_insert_race(*args: Any) -> Any:
        calls.append("save")
        if len(calls) == 1:
            raise IntegrityError(
                "INSERT", {}, Exception("Duplicate entry for uq_social_accounts_user_platform")
            )
        return real_save(*args)

    monkeypatch.setattr(social, "save_account", lose_the_insert_race)
    assert dashboard_query(back_at_oasis(client, callback))["status"] == "connected"
    assert calls == ["save", "save"]
    row = account_row(context, user_id, "tiktok")
    assert row is not None and context.secrets.decrypt(row.access_token) in tiktok.access_tokens


# -- where the callback address comes from ---------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"HOST": "0.0.0.0"}, "OASIS_PUBLIC_URL"),
        ({"HOST": "127.0.0.1", "OASIS_ENV": "production"}, "OASIS_PUBLIC_URL"),
    ],
    ids=["exposed", "production"],
)
def test_oauth_needs_a_public_url_outside_development(
    api_env: dict[str, str],
    server_catalog: ProviderCatalog,  # noqa: F811 - the fixture imported above
    settings: dict[str, str],
    words: str,
) -> None:
    api_env.pop("OASIS_PUBLIC_URL")
    api_env.update(settings)
    if settings.get("OASIS_ENV") == "production":
        api_env.update(
            {"JWT_SECRET": "j" * 48, "OASIS_SECRET_KEYS": _fernet_key(), "OASIS_BCRYPT_ROUNDS": "12"}
        )
    context = build_context(api_env, catalog=server_catalog)
    try:
        with browser(context) as client:
            token, _ = register(client, "ada@example.com")
            response = client.post("/api/social/connect", json={"platform": "tiktok"}, headers=auth(token))
            refused(response, words)
            assert "set-cookie" not in response.headers
    finally:
        context.close()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def test_a_development_server_on_loopback_uses_its_own_address(
    api_env: dict[str, str],
    server_catalog: ProviderCatalog,  # noqa: F811
) -> None:
    api_env.pop("OASIS_PUBLIC_URL")
    api_env.update({"HOST": "127.0.0.1", "PORT": "3123"})
    context = build_context(api_env, catalog=server_catalog)
    try:
        with TestClient(create_app(context=context), base_url="http://127.0.0.1:3123") as client:
            token, _ = register(client, "ada@example.com")
            started = start_oauth(client, token, host="evil.example")
            assert query_of(started.json()["authorization_url"])["redirect_uri"] == (
                "http://127.0.0.1:3123/api/social/callback/tiktok"
            )
            assert "secure" not in started.headers["set-cookie"].lower()  # plain http in development
    finally:
        context.close()
