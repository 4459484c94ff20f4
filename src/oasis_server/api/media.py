"""``/api/media``: a video's MP4 and thumbnail through signed, expiring links.

The video routes hand the owner links such as
``/api/media/<id>/video.mp4?expires=<unix time>&sig=<hex>``: an HMAC-SHA256 of
the id, the file and the expiry under a key derived from the JWT secret. The
link works without a token (so a ``<video>`` element can play it) until it
expires; a changed id, file or expiry, or a guessed signature, gets 403.
Files stream from the blob store with HTTP ranges (206, 416), or redirect to
the store's own URL where it has one (S3).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, BinaryIO

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Stream
from sqlalchemy import select

from oasis_core.errors import NotFound
from oasis_core.ports.blob_store import BlobStore
from oasis_server.api.context import ServerContext
from oasis_server.api.errors import ApiError, not_found
from oasis_server.api.schemas import ANYONE, AnonymousOperation, ErrorOut, describe_files, error_responses
from oasis_server.db.models import Video

FILES: dict[str, tuple[str, str]] = {
    "video": ("video.mp4", "video/mp4"),
    "thumbnail": ("thumbnail.jpg", "image/jpeg"),
}
"""Kind of file → its name in the link and its content type."""
KINDS_BY_NAME = {name: kind for kind, (name, _) in FILES.items()}
LINK_BUCKET_SECONDS = 3600
"""Links expire on the hour after the next, so they stay the same (cacheable) for an hour and live 1–2 hours."""
CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.ASCII)
_EXPIRES = re.compile(r"^[0-9]{1,12}$", re.ASCII)
MAX_RANGE_DIGITS = 18
"""A byte position with more digits is past the end of any file (and ``int()`` refuses over 4,300)."""
_SIGNING_LABEL = b"oasis media link v1"
INVALID_LINK = "This link is invalid or has expired; reload the video for a fresh one"


def media_path(video_id: str, kind: str) -> str:
    """The route path of a video's file (``kind`` is ``video`` or ``thumbnail``), unsigned."""
    return f"/api/media/{video_id}/{FILES[kind][0]}"


@lru_cache(maxsize=4)
def _signing_key(jwt_secret: str) -> bytes:
    return hmac.new(jwt_secret.encode("utf-8"), _SIGNING_LABEL, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _keyed_hmac(jwt_secret: str) -> hmac.HMAC:
    return hmac.new(_signing_key(jwt_secret), digestmod=hashlib.sha256)


@lru_cache(maxsize=8192)
def signature(jwt_secret: str, video_id: str, kind: str, expires: int) -> str:
    """The hex HMAC-SHA256 that makes a link to ``kind`` of ``video_id`` valid until ``expires``.

    Remembered: a link stays the same for an hour, so lists polled again reuse it.
    """
    mac = _keyed_hmac(jwt_secret).copy()  # the key's inner and outer pads are computed once
    mac.update(f"{video_id}\n{kind}\n{expires}".encode())
    return mac.hexdigest()


def link_expiry(now: float | None = None) -> int:
    """When a link made now expires (unix seconds)."""
    now = time.time() if now is None else now
    return (int(now) // LINK_BUCKET_SECONDS + 2) * LINK_BUCKET_SECONDS


def verify(jwt_secret: str, video_id: str, kind: str, expires: str | None, sig: str | None) -> bool:
    """Whether the link's signature is right and it has not expired (compared in constant time)."""
    if not expires or not sig or not _EXPIRES.match(expires):
        return False  # only ASCII digits: "²" is a digit to str.isdigit() but not to int()
    expected = signature(jwt_secret, video_id, kind, int(expires))
    # compared as bytes: compare_digest refuses str with non-ASCII characters (TypeError)
    return (
        hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")) and int(expires) > time.time()
    )


class MediaLinks:
    """Makes the links the API hands out for one request (one blob store for all of them).

    Links to this server are absolute under ``OASIS_PUBLIC_URL`` when it is set
    (a client on another origin can fetch them as they are), else relative to
    the server's root; a store's own links (S3) are absolute already.
    """

    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self._store: BlobStore | None = None
        self._expires = link_expiry()
        self._base = context.settings.public_url or ""

    def link(self, video_id: str, kind: str, key: str | None) -> str | None:
        """A fetchable URL for the stored file ``key`` (``None`` while there is none)."""
        if not key:
            return None
        if self._store is None:
            self._store = self.context.blob_store()
        direct = self._store.url(key, expires_in=int(self._expires - time.time()))
        if direct:
            return direct
        sig = signature(self.context.settings.jwt_secret, video_id, kind, self._expires)
        return f"{self._base}{media_path(video_id, kind)}?expires={self._expires}&sig={sig}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The ``(first, last)`` byte of a single ``Range``, ``None`` for the whole file; 416 if unsatisfiable.

    A header we do not understand (several ranges, other units, nonsense) is
    ignored and the whole file served, as HTTP allows.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    first_text, last_text = match.groups()
    if first_text:
        first = _position(first_text)
        if last_text and _position(last_text) < first:
            return None  # malformed: ignored
        if first >= size:
            raise _unsatisfiable(size)
        return first, min(_position(last_text) if last_text else size - 1, size - 1)
    suffix = _position(last_text)
    if suffix == 0 or size == 0:
        raise _unsatisfiable(size)
    return max(0, size - suffix), size - 1


def _position(digits: str) -> int:
    """A byte position from a ``Range`` header; any number too long to be a real one counts as 10**18."""
    return int(digits) if len(digits) <= MAX_RANGE_DIGITS else 10**MAX_RANGE_DIGITS


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        416, "The requested range is not within the file", headers={"Content-Range": f"bytes */{size}"}
    )


def _chunks(source: BinaryIO, first: int, length: int) -> Iterator[bytes]:
    try:
        source.seek(first)
        left = length
        while left > 0:
            block = source.read(min(CHUNK_BYTES, left))
            if not block:
                break
            left -= len(block)
            yield block
    finally:
        source.close()


@dataclass
class MediaOperation(AnonymousOperation):
    """Needs no token, and answers a video or a thumbnail (see :func:`describe_files`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        describe_files(self, tuple(content_type for _, content_type in FILES.values()))


def _file_spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=bytes, description=description, media_type="video/mp4", generate_examples=False
    )


@get(
    "/api/media/{video_id:str}/{name:str}",
    operation_id="getMedia",
    operation_class=MediaOperation,
    summary="A video's MP4 or thumbnail, through a signed link",
    sync_to_thread=True,
    security=ANYONE,  # no token: the signature is the credential
    tags=["video"],
    responses={
        200: _file_spec("The whole file (video/mp4 or image/jpeg)"),
        206: _file_spec("The requested byte range"),
        **error_responses(400, 403, 404),
        416: ResponseSpec(data_container=ErrorOut, description="The range is not within the file"),
    },
)
def get_media(
    video_id: Annotated[str, PathParameter(max_length=64)],
    name: Annotated[str, PathParameter(max_length=32)],
    request: Request[Any, Any, Any],
    state: State,
    expires: Annotated[
        str | None, QueryParameter(max_length=20, description="Unix time the link expires")
    ] = None,
    sig: Annotated[str | None, QueryParameter(max_length=128, description="The link's signature")] = None,
) -> Response[Any]:
    """Stream the file (ranges supported) if the link is valid; links come from the video routes."""
    context: ServerContext = state.ctx
    kind = KINDS_BY_NAME.get(name)
    if kind is None:
        raise not_found()
    if not verify(context.settings.jwt_secret, video_id, kind, expires, sig):
        raise ApiError(403, INVALID_LINK)
    with context.sessions() as session:
        row = session.execute(
            select(Video.video_key, Video.thumbnail_key).where(
                Video.id == video_id, Video.status == "completed"
            )
        ).first()
    key = None if row is None else (row.video_key if kind == "video" else row.thumbnail_key)
    if not key:
        raise not_found()
    store = context.blob_store()
    content_type = FILES[kind][1]
    direct = store.url(key, expires_in=300)
    if direct:
        return Redirect(direct, status_code=307)
    try:
        size = store.size(key)
    except NotFound:
        raise not_found() from None
    etag = '"' + hashlib.sha256(f"{key}:{size}".encode()).hexdigest()[:32] + '"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, max-age=3600",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    if_range = request.headers.get("if-range")
    wanted = parse_range(request.headers.get("range"), size) if not if_range or if_range == etag else None
    first, last = wanted if wanted is not None else (0, size - 1)
    length = max(0, last - first + 1)
    headers["Content-Length"] = str(length)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    try:
        source = store.open(key)
    except NotFound:
        raise not_found() from None
    return Stream(
        _chunks(source, first, length),
        status_code=206 if wanted is not None else 200,
        media_type=content_type,
        headers=headers,
    )


ROUTES = [get_media]
