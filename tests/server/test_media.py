"""Media delivery: signed, expiring links; byte ranges; content types; nothing by guessing."""

from __future__ import annotations

import time
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth, register
from tests.server.video_support import VIDEO_REQUEST, final_status, load, server_fake_catalog

from oasis_core.catalog import ProviderCatalog
from oasis_plugins.local.blob_store import LocalBlobStore
from oasis_server.api.context import ServerContext
from oasis_server.api.errors import ApiError
from oasis_server.api.media import LINK_BUCKET_SECONDS, link_expiry, parse_range, signature

VIDEO = VIDEO_REQUEST


@pytest.fixture
def server_catalog(request: pytest.FixtureRequest) -> ProviderCatalog:
    """Fakes, and the ``local`` store (or the store class a test passes as ``param``)."""
    return server_fake_catalog(storage=getattr(request, "param", LocalBlobStore))


@pytest.fixture
def done(client: TestClient[Any]) -> dict[str, Any]:
    """A completed video (fake render: the MP4 is a small JSON file, the thumbnail 14 bytes)."""
    token, _ = register(client, "ada@example.com")
    video_id = client.post("/api/video/generate", json=VIDEO, headers=auth(token)).json()["id"]
    status = final_status(client, token, video_id)
    assert status["status"] == "completed"
    return {"token": token, "id": video_id, "url": status["url"], "thumbnail_url": status["thumbnail_url"]}


def stored_bytes(context: ServerContext, video_id: str, kind: str = "video") -> bytes:
    video = load(context, video_id)
    assert video is not None
    key = video.video_key if kind == "video" else video.thumbnail_key
    assert key
    return (context.settings.data_dir / "media" / key).read_bytes()


def link_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["expires"][0]), query["sig"][0]


def test_the_owner_fetches_the_files_through_the_links_without_a_token(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any]
) -> None:
    video = client.get(done["url"])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.headers["accept-ranges"] == "bytes"
    assert video.content == stored_bytes(context, done["id"])
    assert int(video.headers["content-length"]) == len(video.content)
    thumbnail = client.get(done["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content == b"fake thumbnail"


def test_ranges_are_served_as_206_with_content_range(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any]
) -> None:
    whole = stored_bytes(context, done["id"])
    size = len(whole)
    for header, first, last in (
        ("bytes=0-9", 0, 9),
        ("bytes=5-", 5, size - 1),
        ("bytes=-4", size - 4, size - 1),
        (f"bytes=10-{size + 500}", 10, size - 1),
        (f"bytes={size - 1}-{size - 1}", size - 1, size - 1),
    ):
        response = client.get(done["url"], headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert response.content == whole[first : last + 1]
        assert int(response.headers["content-length"]) == last - first + 1


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{bigger}", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any], header: str
) -> None:
    size = len(stored_bytes(context, done["id"]))
    response = client.get(done["url"], headers={"Range": header.format(size=size, bigger=size + 9)})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert "error" in response.json()


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-1", "bytes=9-3", "bytes=-", "nonsense"])
def test_a_range_we_do_not_serve_gets_the_whole_file(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any], header: str
) -> None:
    response = client.get(done["url"], headers={"Range": header})
    assert response.status_code == 200
    assert response.content == stored_bytes(context, done["id"])


def test_an_unchanged_file_is_304_and_if_range_with_another_etag_gets_it_whole(
    client: TestClient[Any], done: dict[str, Any]
) -> None:
    etag = client.get(done["url"]).headers["etag"]
    assert client.get(done["url"], headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(done["url"], headers={"Range": "bytes=0-3", "If-Range": '"old"'})
    assert stale.status_code == 200
    fresh = client.get(done["url"], headers={"Range": "bytes=0-3", "If-Range": etag})
    assert fresh.status_code == 206


def _tamper(value: str) -> str:
    return ("1" if value[0] != "1" else "2") + value[1:]


def test_a_tampered_or_guessed_link_is_403(client: TestClient[Any], done: dict[str, Any]) -> None:
    path, expires, sig = link_parts(done["url"])
    thumb_path, _, thumb_sig = link_parts(done["thumbnail_url"])
    other_id = "00000000-0000-4000-8000-000000000000"
    for url in (
        f"{path}?expires={expires}&sig={_tamper(sig)}",
        f"{path}?expires={expires + 1}&sig={sig}",
        f"{path}?expires={expires}&sig={thumb_sig}",  # the thumbnail's signature on the video
        f"{thumb_path}?expires={expires}&sig={sig}",  # and the other way round
        f"{path.replace(done['id'], other_id)}?expires={expires}&sig={sig}",
        f"{path}?expires={expires}",
        f"{path}?sig={sig}",
        path,
        f"{path}?expires=soon&sig={sig}",
        f"{path}?expires={expires}&sig=",
        f"{path}?expires={expires}&sig={sig.upper()}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "expired" in response.json()["error"]


def test_an_expired_link_is_403_even_with_a_right_signature(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any]
) -> None:
    path, _, _ = link_parts(done["url"])
    past = int(time.time()) - 1
    sig = signature(context.settings.jwt_secret, done["id"], "video", past)
    assert client.get(f"{path}?expires={past}&sig={sig}").status_code == 403
    future = int(time.time()) + 60
    sig = signature(context.settings.jwt_secret, done["id"], "video", future)
    assert client.get(f"{path}?expires={future}&sig={sig}").status_code == 200


def test_a_signature_made_with_another_secret_is_refused(
    client: TestClient[Any], done: dict[str, Any]
) -> None:
    path, expires, _ = link_parts(done["url"])
    forged = signature("x" * 48, done["id"], "video", expires)
    assert client.get(f"{path}?expires={expires}&sig={forged}").status_code == 403


def test_unknown_files_and_videos_without_files_are_404(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any]
) -> None:
    path, expires, sig = link_parts(done["url"])
    assert (
        client.get(path.replace("video.mp4", "secrets.txt") + f"?expires={expires}&sig={sig}").status_code
        == 404
    )
    missing = "00000000-0000-4000-8000-000000000000"
    good = signature(context.settings.jwt_secret, missing, "video", expires)
    assert client.get(f"/api/media/{missing}/video.mp4?expires={expires}&sig={good}").status_code == 404
    context.enqueue_render = lambda video_id: None  # keep the next one processing
    queued = client.post("/api/video/generate", json=VIDEO, headers=auth(done["token"])).json()["id"]
    status = client.get(f"/api/video/generate/{queued}/status", headers=auth(done["token"])).json()
    assert status["url"] is None and status["thumbnail_url"] is None
    good = signature(context.settings.jwt_secret, queued, "video", expires)
    assert client.get(f"/api/media/{queued}/video.mp4?expires={expires}&sig={good}").status_code == 404


def test_after_delete_the_links_are_404_and_the_file_is_gone(
    client: TestClient[Any], context: ServerContext, done: dict[str, Any]
) -> None:
    video = load(context, done["id"])
    assert video is not None and video.video_key
    path = context.settings.data_dir / "media" / video.video_key
    assert path.is_file()
    assert client.delete(f"/api/video/delete/{done['id']}", headers=auth(done["token"])).status_code == 204
    assert not path.exists()
    assert client.get(done["url"]).status_code == 404
    assert client.get(done["thumbnail_url"]).status_code == 404


def test_links_last_one_to_two_hours_and_stay_the_same_within_the_hour() -> None:
    now = 1_800_000_000.0 + 17
    expiry = link_expiry(now)
    assert LINK_BUCKET_SECONDS <= expiry - now <= 2 * LINK_BUCKET_SECONDS
    assert link_expiry(now + 600) == expiry


def test_every_response_carries_fresh_links(client: TestClient[Any], done: dict[str, Any]) -> None:
    token = done["token"]
    listed = client.get("/api/video/list", headers=auth(token)).json()["items"][0]
    one = client.get(f"/api/video/{done['id']}", headers=auth(token)).json()
    for body in (listed, one):
        assert client.get(body["url"]).status_code == 200
        assert client.get(body["thumbnail_url"]).status_code == 200


class UrlStore(LocalBlobStore):
    """A local store that, like S3, hands out its own URLs."""

    id: ClassVar[str] = "local"

    def url(self, key: str, *, expires_in: int) -> str | None:
        return f"https://cdn.example/{key}?ttl={expires_in}"


@pytest.mark.parametrize("server_catalog", [UrlStore], indirect=True)
def test_a_store_with_its_own_urls_is_linked_to_directly(
    client: TestClient[Any], context: ServerContext
) -> None:
    token, _ = register(client, "ada@example.com")
    video_id = client.post("/api/video/generate", json=VIDEO, headers=auth(token)).json()["id"]
    status = final_status(client, token, video_id)
    assert status["url"].startswith(f"https://cdn.example/videos/{video_id}/")
    assert status["url"].split("?")[0].endswith("/video.mp4")
    expires = link_expiry()
    sig = signature(context.settings.jwt_secret, video_id, "video", expires)
    redirect = client.get(
        f"/api/media/{video_id}/video.mp4?expires={expires}&sig={sig}", follow_redirects=False
    )
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith("https://cdn.example/videos/")


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=2-", 10, (2, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=3-99", 10, (3, 9)),
        (" bytes=1-2 ", 10, (1, 2)),
        ("bytes=5-2", 10, None),
        ("bytes=0-1, 5-6", 10, None),
        ("pages=1-2", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-5", 0)]
)
def test_parse_range_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(ApiError) as caught:
        parse_range(header, size)
    assert caught.value.status == 416
    assert caught.value.headers["Content-Range"] == f"bytes */{size}"
