"""Links in API answers: absolute under ``OASIS_PUBLIC_URL``, relative to the server's root without it.

Also the dashboard's files: each text type says ``charset=utf-8`` exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth, register
from tests.server.video_support import VIDEO_REQUEST, final_status, server_fake_catalog

from oasis_core.catalog import ProviderCatalog


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    return server_fake_catalog()


def completed_video(client: TestClient[Any]) -> tuple[str, str, dict[str, Any]]:
    """A rendered video of a new user: its owner's token, its id and its final status."""
    token, _ = register(client, "ada@example.com")
    accepted = client.post("/api/video/generate", json=VIDEO_REQUEST, headers=auth(token))
    assert accepted.status_code == 202, accepted.text
    video_id = accepted.json()["id"]
    status = final_status(client, token, video_id)
    assert status["status"] == "completed", status
    return token, video_id, status


def links_in_answers(client: TestClient[Any], token: str, video_id: str, status: dict[str, Any]) -> list[str]:
    """The video and thumbnail links of the status, list and single-video answers."""
    listed = client.get("/api/video/list", headers=auth(token)).json()["items"]
    one = client.get(f"/api/video/{video_id}", headers=auth(token)).json()
    return [answer[name] for answer in (status, *listed, one) for name in ("url", "thumbnail_url")]


@pytest.mark.parametrize(
    ("setting", "base"),
    [
        ("https://oasis.example.com", "https://oasis.example.com"),
        ("https://example.com/tools/oasis/", "https://example.com/tools/oasis"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_links_are_absolute_under_the_public_url(
    api_env: dict[str, str], request: pytest.FixtureRequest, setting: str, base: str
) -> None:
    api_env["OASIS_PUBLIC_URL"] = setting
    client: TestClient[Any] = request.getfixturevalue("client")
    token, video_id, status = completed_video(client)
    links = links_in_answers(client, token, video_id, status)
    assert len(links) == 6
    for link in links:
        assert link.startswith(f"{base}/api/media/{video_id}/"), link
        # behind the proxy that OASIS_PUBLIC_URL names, the path after the base reaches this server
        fetched = client.get(link.removeprefix(base))
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["content-type"] in {"video/mp4", "image/jpeg"}


def test_links_are_relative_without_a_public_url(client: TestClient[Any]) -> None:
    token, video_id, status = completed_video(client)
    for link in links_in_answers(client, token, video_id, status):
        assert link.startswith(f"/api/media/{video_id}/"), link


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/static/app.css", "text/css; charset=utf-8"),
        ("/static/js/main.js", "text/javascript; charset=utf-8"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_dashboard_files_name_their_charset_once(
    client: TestClient[Any], path: str, content_type: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type


def test_the_dashboard_may_show_media_from_the_public_url(
    api_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    """Opened at another address (a tunnel, ``localhost``), the dashboard still plays the absolute links."""
    api_env["OASIS_PUBLIC_URL"] = "https://example.com:8443/tools/oasis"
    client: TestClient[Any] = request.getfixturevalue("client")
    policy = client.get("/").headers["content-security-policy"]
    assert "media-src 'self' blob: https://example.com:8443;" in policy
    assert "img-src 'self' blob: https://example.com:8443;" in policy
