"""Connecting accounts with OAuth through the API: TikTok against the fake TikTok, YouTube (PKCE S256)
against a fake Google as strict as Google; the state is bound to the browser that started the flow, works
once (across server processes), and the callback address never comes from the request's ``Host``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from tests.fakes.google_api import CHANNEL_ID, CHANNEL_TITLE, FakeGoogle, TlsFiles, make_tls_files
from tests.fakes.google_api import CLIENT_ID as GOOGLE_CLIENT_ID
from tests.fakes.google_api import CLIENT_SECRET as GOOGLE_CLIENT_SECRET
from tests.fakes.google_api import CONSENT_PATH as GOOGLE_CONSENT_PATH
from tests.fakes.google_api import s256 as google_s256
from tests.fakes.tiktok_api import CLIENT_KEY, OPEN_ID, USERNAME, FakeTikTok, s256
from tests.server.conftest import auth, build_context, register
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    account_row,
    fresh_tiktok,
    running_tiktok,
    tiktok_env,
)
from tests.server.test_social_api import accounts, server_catalog  # noqa: F401 - a pytest fixture

from oasis_core.catalog import ProviderCatalog
from oasis_core.errors import InvalidInput
from oasis_plugins.youtube import YouTubePublisher
from oasis_server.api import social
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.api.social import REASONS
from oasis_server.db.models import UsedOAuthState, User
from oasis_server.db.types import utcnow
from oasis_server.publishing.oauth_flow import digest_of, spend_state
from oasis_server.publishing.oauth_state import STATE_TTL_SECONDS, OAuthState, seal

PUBLIC_URL = "https://oasis.example"
CALLBACK = f"{PUBLIC_URL}/api/social/callback/tiktok"
YT_CALLBACK = f"{PUBLIC_URL}/api/social/callback/youtube"


@pytest.fixture(scope="module")
def google_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("fake-google-tls"))


@pytest.fixture(scope="module")
def google_server(google_tls: TlsFiles) -> Iterator[FakeGoogle]:
    with FakeGoogle(google_tls).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def google(google_server: FakeGoogle) -> FakeGoogle:
    """The fake Google, emptied, with our YouTube callback registered for its OAuth client."""
    google_server.reset()
    google_server.register_redirect(YT_CALLBACK)
    return google_server


@pytest.fixture
def api_env(
    api_env: dict[str, str], tiktok: FakeTikTok, google: FakeGoogle, google_tls: TlsFiles
) -> dict[str, str]:
    """The fake TikTok's and the fake Google's clients and URLs, and a public URL."""
    api_env.update(tiktok_env(tiktok))
    api_env.update(
        {
            "OASIS_PUBLIC_URL": PUBLIC_URL,
            "YOUTUBE_CLIENT_ID": GOOGLE_CLIENT_ID,
            "YOUTUBE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
            "GOOGLE_AUTH_URL": f"{google.url}{GOOGLE_CONSENT_PATH}",
            "GOOGLE_TOKEN_URL": f"{google.url}/token",
            "GOOGLE_REVOKE_URL": f"{google.url}/revoke",
            "YOUTUBE_API_BASE_URL": f"{google.url}/",
            "YOUTUBE_CA_CERTS": str(google_tls.ca),
        }
    )
    return api_env


def browser(context: ServerContext) -> TestClient[Any]:
    """A browser at the public address (cookies marked Secure travel only over https)."""
    return TestClient(create_app(context=context), base_url=PUBLIC_URL)


@pytest.fixture
def client(context: ServerContext) -> Iterator[TestClient[Any]]:
    """The browser of the user who connects."""
    with browser(context) as test_client:
        yield test_client


@pytest.fixture
def user(client: TestClient[Any]) -> tuple[str, str]:
    token, body = register(client, "ada@example.com")
    return token, str(body["id"])


def start_oauth(
    client: TestClient[Any], token: str, platform: str = "tiktok", **headers: str
) -> httpx.Response:
    response = client.post(
        "/api/social/connect", json={"platform": platform}, headers={**auth(token), **headers}
    )
    assert response.status_code == 200, response.text
    return response


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def consent(authorization_url: str, callback: str = CALLBACK, verify: Any = True) -> str:
    """What the browser does at the platform: the consent page redirects to the callback; returns that URL."""
    answer = httpx.get(authorization_url, follow_redirects=False, timeout=5, verify=verify)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(callback + "?")
    return location


def back_at_oasis(client: TestClient[Any], callback_url: str) -> httpx.Response:
    """The browser follows the redirect to our callback (no Authorization header: it is a navigation)."""
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def dashboard_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/?") and location.endswith("#/social")
    return query_of(location)


def give_cookie(client: TestClient[Any], nonce: str, platform: str = "tiktok") -> None:
    """Put a binding cookie in ``client``'s jar, as the connect answer would."""
    client.cookies.set(
        f"oasis_oauth_{platform}", nonce, domain="oasis.example", path=f"/api/social/callback/{platform}"
    )


def refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 400, response.text
    assert words in response.json()["error"], response.text


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
