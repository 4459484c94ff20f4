"""``/api/social``: connecting accounts (pasted tokens, Instagram sign-in against a fake Instagram), listing
and disconnecting them; tokens are stored encrypted and never answered. OAuth: test_social_oauth.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.fakes.http_server import Reply
from tests.fakes.instagram_api import LOGIN, FakeInstagram, challenge_required
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.conftest import auth, register
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    account_row,
    connect_pasted,
    fresh_tiktok,
    insert_finished_video,
    open_gates,
    post_row,
    running_tiktok,
    sample_clip,
    schedule,
    tiktok_env,
)

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.testing.fakes import FakeLanguageModel, FakeSpeechEngine, FakeVisualSource
from oasis_plugins.instagram import InstagramPublisher
from oasis_plugins.local.blob_store import LocalBlobStore
from oasis_plugins.tiktok import TikTokPublisher
from oasis_plugins.youtube import YouTubePublisher
from oasis_server.api.context import ServerContext

PUBLIC_URL = "https://oasis.example"
CALLBACK = f"{PUBLIC_URL}/api/social/callback/tiktok"
IG_USER, IG_PASSWORD = "oasis.test", "correct horse battery staple"
SECRET_TOKEN = "act.pasted-secret-0123456789"
SECRET_REFRESH = "rft.pasted-secret-9876543210"


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    """The three real publishers, local storage and offline fakes for the rest."""
    catalog = ProviderCatalog()
    catalog.add(PortKind.LLM, FakeLanguageModel, plugin="oasis_core.testing")
    catalog.add(PortKind.SPEECH, FakeSpeechEngine, plugin="oasis_core.testing")
    catalog.add(PortKind.VISUALS, FakeVisualSource, plugin="oasis_core.testing")
    catalog.add(PortKind.STORAGE, LocalBlobStore, plugin="tests")
    catalog.add(PortKind.PUBLISHER, YouTubePublisher, plugin="oasis_plugins.youtube")
    catalog.add(PortKind.PUBLISHER, TikTokPublisher, plugin="oasis_plugins.tiktok")
    catalog.add(PortKind.PUBLISHER, InstagramPublisher, plugin="oasis_plugins.instagram")
    return catalog


@pytest.fixture(scope="module")
def instagram_server() -> Iterator[FakeInstagram]:
    fake = FakeInstagram()
    with fake.running():
        yield fake


@pytest.fixture
def instagram(instagram_server: FakeInstagram, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeInstagram]:
    """The fake Instagram with one account; the server's instagrapi clients talk only to it."""
    instagram_server.reset()
    instagram_server.add_user(IG_USER, IG_PASSWORD)
    monkeypatch.setattr(InstagramPublisher, "client_class", instagram_server.client_class())
    yield instagram_server
    assert instagram_server.escaped == []


@pytest.fixture
def api_env(api_env: dict[str, str], tiktok: FakeTikTok) -> dict[str, str]:
    """The server's environment: the fake TikTok's client and URLs, a public URL, no Instagram pauses."""
    api_env.update(tiktok_env(tiktok))
    api_env.update(
        {
            "OASIS_PUBLIC_URL": PUBLIC_URL,
            "INSTAGRAM_DELAY_RANGE": "0",
            "INSTAGRAM_CONFIGURE_TIMEOUT": "0",
        }
    )
    return api_env


@pytest.fixture
def user(client: TestClient[Any]) -> tuple[str, str]:
    """A signed-in user: (token, id)."""
    token, body = register(client, "ada@example.com")
    return token, str(body["id"])


def accounts(client: TestClient[Any], token: str) -> list[dict[str, Any]]:
    response = client.get("/api/social/list", headers=auth(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def no_secret_in(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret leaked into an answer: {text}"


# -- pasted tokens ------------------------------------------------------------------------------------


def test_a_pasted_token_is_stored_encrypted_and_never_answered(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str]
) -> None:
    token, user_id = user
    response = client.post(
        "/api/social/connect",
        json={
            "platform": "tiktok",
            "access_token": SECRET_TOKEN,
            "refresh_token": SECRET_REFRESH,
            "expires_at": "2030-01-01T00:00:00Z",
            "username": "ada.posts",
        },
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["platform"] == "tiktok"
    assert body["username"] == "ada.posts"
    assert body["status"] == "active"
    assert body["token_expires_at"].startswith("2030-01-01T00:00:00")
    assert not {"access_token", "refresh_token", "session"} & set(body)
    no_secret_in(response.text, SECRET_TOKEN, SECRET_REFRESH)

    listing = client.get("/api/social/list", headers=auth(token))
    no_secret_in(listing.text, SECRET_TOKEN, SECRET_REFRESH)
    assert [(a["platform"], a["username"], a["status"]) for a in listing.json()["items"]] == [
        ("tiktok", "ada.posts", "active")
    ]

    row = account_row(context, user_id, "tiktok")
    assert row is not None
    assert row.access_token != SECRET_TOKEN and SECRET_TOKEN not in row.access_token
    assert row.refresh_token is not None and SECRET_REFRESH not in row.refresh_token
    assert context.secrets.decrypt(row.access_token) == SECRET_TOKEN
    assert context.secrets.decrypt(row.refresh_token) == SECRET_REFRESH


def test_connecting_again_replaces_the_account(client: TestClient[Any], user: tuple[str, str]) -> None:
    token, _ = user
    connect_pasted(client, token, "tiktok", "act.first-token-0000", username="first")
    connect_pasted(client, token, "tiktok", "act.second-token-000", username="second")
    assert [(a["platform"], a["username"]) for a in accounts(client, token)] == [("tiktok", "second")]


def test_each_user_sees_only_their_own_accounts(client: TestClient[Any], user: tuple[str, str]) -> None:
    token, _ = user
    other, _ = register(client, "bob@example.com")
    connect_pasted(client, token, "tiktok", SECRET_TOKEN)
    assert accounts(client, other) == []
    assert (
        client.post("/api/social/disconnect", json={"platform": "tiktok"}, headers=auth(other)).status_code
        == 404
    )
    assert len(accounts(client, token)) == 1


def test_an_unknown_platform_is_400_listing_the_platforms(
    client: TestClient[Any], user: tuple[str, str]
) -> None:
    token, _ = user
    for body in (
        {"platform": "myspace"},
        {"platform": "myspace", "access_token": SECRET_TOKEN},
        {"platform": "myspace", "username": "a", "password": "b"},
    ):
        response = client.post("/api/social/connect", json=body, headers=auth(token))
        assert response.status_code == 400, response.text
        assert "myspace" in response.json()["error"]
        assert "instagram, tiktok, youtube" in response.json()["error"]
    assert accounts(client, token) == []


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "tiktok", "access_token": ""},
        {"platform": "tiktok", "access_token": 42},
        {"platform": "tiktok", "access_token": "x", "expires_at": "tomorrow"},
        {"platform": "tiktok", "access_token": "x", "expires_at": "2030-01-01T00:00:00"},
        {"platform": "tiktok", "access_token": "x", "scope": "all"},
        {"platform": ""},
        {},
    ],
    ids=["empty-token", "number", "bad-time", "naive-time", "unknown-field", "empty-platform", "nothing"],
)
def test_malformed_connect_bodies_are_400(
    client: TestClient[Any], user: tuple[str, str], body: dict[str, Any]
) -> None:
    token, _ = user
    response = client.post("/api/social/connect", json=body, headers=auth(token))
    assert response.status_code == 400, response.text
    assert accounts(client, token) == []


def test_the_social_routes_need_a_token(client: TestClient[Any]) -> None:
    assert client.get("/api/social/list").status_code == 401
    assert client.post("/api/social/connect", json={"platform": "tiktok"}).status_code == 401
    assert client.post("/api/social/disconnect", json={"platform": "tiktok"}).status_code == 401


# -- disconnecting ------------------------------------------------------------------------------------


def test_disconnecting_revokes_deletes_and_fails_the_pending_posts(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = user
    tokens = tiktok.issue_tokens()
    connect_pasted(client, token, "tiktok", tokens["access_token"], refresh_token=tokens["refresh_token"])
    video_id = insert_finished_video(context, user_id, clip)
    pending = schedule(client, token, video_id, _in_a_day())
    cancelled = schedule(client, token, video_id, _in_a_day())
    assert client.delete(f"/api/schedule/{cancelled[0]['id']}", headers=auth(token)).status_code == 204

    response = client.post("/api/social/disconnect", json={"platform": "tiktok"}, headers=auth(token))
    assert response.status_code == 204, response.text
    assert accounts(client, token) == []
    assert account_row(context, user_id, "tiktok") is None
    assert tokens["access_token"] not in tiktok.access_tokens, "the tokens were not revoked at TikTok"

    failed = client.get(f"/api/schedule/{pending[0]['id']}", headers=auth(token)).json()
    assert failed["status"] == "failed"
    assert failed["error"] == "The tiktok account was disconnected before this post was published"
    assert post_row(context, cancelled[0]["id"]).status == "cancelled"  # only pending posts fail

    again = client.post("/api/social/disconnect", json={"platform": "tiktok"}, headers=auth(token))
    assert again.status_code == 404
    assert "tiktok" in again.json()["error"]


def test_disconnecting_works_even_when_the_platform_refuses_to_revoke(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = user
    connect_pasted(client, token, "tiktok", "act.unknown-to-tiktok-000")
    tiktok.fail_next(Reply(500, {"error": "server_error", "error_description": "down"}))
    assert (
        client.post("/api/social/disconnect", json={"platform": "tiktok"}, headers=auth(token)).status_code
        == 204
    )
    assert account_row(context, user_id, "tiktok") is None


def test_disconnecting_a_platform_never_connected_is_404(
    client: TestClient[Any], user: tuple[str, str]
) -> None:
    token, _ = user
    response = client.post("/api/social/disconnect", json={"platform": "youtube"}, headers=auth(token))
    assert response.status_code == 404


def _in_a_day() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))


# -- OAuth (the flow itself is in test_social_oauth.py) ------------------------------------------------


def test_oauth_platforms_refuse_a_password(client: TestClient[Any], user: tuple[str, str]) -> None:
    token, _ = user
    response = client.post(
        "/api/social/connect",
        json={"platform": "tiktok", "username": "ada", "password": "secret"},
        headers=auth(token),
    )
    assert response.status_code == 400
    assert "does not sign in with a password" in response.json()["error"]


# -- Instagram (sign-in, against the fake) ----------------------------------------------------------------


def test_instagram_signs_in_and_keeps_only_the_encrypted_session(
    client: TestClient[Any], context: ServerContext, user: tuple[str, str], instagram: FakeInstagram
) -> None:
    token, user_id = user
    response = client.post(
        "/api/social/connect",
        json={"platform": "instagram", "username": IG_USER, "password": IG_PASSWORD},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["platform"], response.json()["username"], response.json()["status"]) == (
        "instagram",
        IG_USER,
        "active",
    )
    no_secret_in(response.text, IG_PASSWORD)
    row = account_row(context, user_id, "instagram")
    assert row is not None and row.session is not None
    assert IG_PASSWORD not in (row.session + row.access_token)
    session = json.loads(context.secrets.decrypt(row.session))
    assert IG_PASSWORD not in json.dumps(session)
    assert session["authorization_data"], "the instagrapi session was not kept"


def test_an_instagram_challenge_is_400_saying_what_to_do(
    client: TestClient[Any], user: tuple[str, str], instagram: FakeInstagram
) -> None:
    token, _ = user
    instagram.fail(LOGIN, challenge_required())
    response = client.post(
        "/api/social/connect",
        json={"platform": "instagram", "username": IG_USER, "password": IG_PASSWORD},
        headers=auth(token),
    )
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert "Instagram wants to confirm that this login is you" in message
    assert "Instagram app" in message
    assert accounts(client, token) == []


def test_a_wrong_instagram_password_is_400(
    client: TestClient[Any], user: tuple[str, str], instagram: FakeInstagram
) -> None:
    token, _ = user
    response = client.post(
        "/api/social/connect",
        json={"platform": "instagram", "username": IG_USER, "password": "wrong password"},
        headers=auth(token),
    )
    assert response.status_code == 400, response.text
    assert accounts(client, token) == []


def test_instagram_needs_both_username_and_password_and_has_no_oauth(
    client: TestClient[Any], user: tuple[str, str]
) -> None:
    token, _ = user
    only_name = client.post(
        "/api/social/connect", json={"platform": "instagram", "username": IG_USER}, headers=auth(token)
    )
    assert only_name.status_code == 400
    assert "username and password" in only_name.json()["error"]
    oauth = client.post("/api/social/connect", json={"platform": "instagram"}, headers=auth(token))
    assert oauth.status_code == 400
    assert "username and password" in oauth.json()["error"]
