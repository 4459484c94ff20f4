"""How ``oasis serve`` serves the dashboard: content types, caching, the Content-Security-Policy, no path outside."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from litestar.datastructures import State
from tests.dashboard.conftest import LiveServer

from oasis_server.api.dashboard import content_security_policy, media_sources


def test_files_are_served_with_a_strict_policy(server: LiveServer) -> None:
    with server.client() as client:
        page = client.get("/", params={"platform": "tiktok", "status": "connected"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "media-src 'self' blob:"):
            assert directive in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert page.headers["cache-control"] == "no-cache"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "inline script in index.html"
        assert " style=" not in page.text

        script = client.get("/static/js/main.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "content-security-policy" in script.headers
        again = client.get("/static/js/main.js", headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
        assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
        assert client.get("/static/favicon.svg").headers["content-type"] == "image/svg+xml"

        for outside in ("/static/%2e%2e/__init__.py", "/static/..%2f__init__.py", "/static/nothing.js"):
            answer = client.get(outside)
            assert answer.status_code == 404, outside
            assert "error" in answer.json()

        paths = client.get("/schema/openapi.json").json()["paths"]
        assert "/" not in paths
        assert not [path for path in paths if path.startswith("/static")]


class _Store:
    def __init__(self, link: str | None) -> None:
        self.link = link

    def url(self, key: str, *, expires_in: int) -> str | None:
        return self.link


class _Context:
    def __init__(self, link: str | None) -> None:
        self.store = _Store(link)
        self.settings = SimpleNamespace(public_url=None)

    def blob_store(self) -> _Store:
        return self.store


@pytest.mark.parametrize(
    ("link", "extra"),
    [
        (None, ""),
        (
            "https://clips.s3.eu-west-3.amazonaws.com/videos/x?X-Amz-Signature=ab",
            " https://clips.s3.eu-west-3.amazonaws.com",
        ),
        ("/relative/link", ""),
    ],
)
def test_the_policy_admits_the_blob_stores_own_links(link: str | None, extra: str) -> None:
    state = State({"ctx": _Context(link)})
    assert media_sources(state) == extra
    policy = content_security_policy(media_sources(state))
    assert f"media-src 'self' blob:{extra};" in policy
    assert f"img-src 'self' blob:{extra};" in policy
