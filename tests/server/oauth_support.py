"""Shared by the OAuth API tests: a fake Google over TLS next to the fake TikTok, a browser at the public
address, and the steps of a consent (start, consent at the platform, come back to the callback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import TestClient
from tests.fakes.google_api import CLIENT_ID as GOOGLE_CLIENT_ID
from tests.fakes.google_api import CLIENT_SECRET as GOOGLE_CLIENT_SECRET
from tests.fakes.google_api import CONSENT_PATH as GOOGLE_CONSENT_PATH
from tests.fakes.google_api import FakeGoogle, TlsFiles, make_tls_files
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.conftest import auth, register
from tests.server.publishing_support import tiktok_env

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext

PUBLIC_URL = "https://oasis.example"
CALLBACK = f"{PUBLIC_URL}/api/social/callback/tiktok"
YT_CALLBACK = f"{PUBLIC_URL}/api/social/callback/youtube"


@pytest.fixture(name="google_tls", scope="module")
def fake_google_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("fake-google-tls"))


@pytest.fixture(name="google_server", scope="module")
def running_google(google_tls: TlsFiles) -> Iterator[FakeGoogle]:
    with FakeGoogle(google_tls).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture(name="google")
def fresh_google(google_server: FakeGoogle) -> FakeGoogle:
    """The fake Google, emptied, with our YouTube callback registered for its OAuth client."""
    google_server.reset()
    google_server.register_redirect(YT_CALLBACK)
    return google_server


@pytest.fixture(name="api_env")
def oauth_api_env(
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


@pytest.fixture(name="client")
def public_browser(context: ServerContext) -> Iterator[TestClient[Any]]:
    """The browser of the user who connects."""
    with browser(context) as test_client:
        yield test_client


@pytest.fixture(name="user")
def signed_in_user(client: TestClient[Any]) -> tuple[str, str]:
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
