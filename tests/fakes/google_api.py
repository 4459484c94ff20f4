"""A fake Google OAuth token endpoint and YouTube Data API v3 on 127.0.0.1, over real TLS.

google-api-python-client sends ordinary calls to ``client_options
api_endpoint``, but the first request of a resumable upload keeps ``https``
whatever that endpoint says (only host and port are swapped). So this fake
speaks TLS, with a throwaway certificate authority made by
:func:`make_tls_files`; clients trust it through the CA bundle file
(``httplib2.Http(ca_certs=...)``, an ``ssl`` context for httpx).

Routes:

``GET /o/oauth2/v2/auth``, ``POST /token``, ``POST /revoke``
    The consent page, the token endpoint and revocation, as strict as Google
    (see :mod:`tests.fakes.google_oauth`: PKCE, single-use codes, the
    redirect URI). A refresh answer carries no refresh token unless
    :attr:`FakeGoogle.rotate_refresh_tokens` is set.
``GET /youtube/v3/channels`` (``mine=true``) and ``GET /youtube/v3/videos`` (``id=…``)
``POST /upload/youtube/v3/videos?uploadType=resumable``
    Starts an upload session (the video resource in the body, the size in
    ``X-Upload-Content-Length``) and answers 200 with its URI in ``Location``.
``PUT <session URI>``
    ``Content-Range: bytes a-b/total`` appends a chunk and answers 308 with
    ``Range: bytes=0-N``, or 200 with the new video resource once the last
    byte is in; ``bytes */total`` asks how far the session got.

Every API call needs ``Authorization: Bearer <a live access token>``.
:attr:`FakeGoogle.completed_uploads` counts the videos created; :attr:`FakeGoogle.inserts`
records the snippet, status and query of each ``videos.insert``, which is refused as YouTube
refuses it for a bad title, description, tags, category or privacy status;
:meth:`FakeGoogle.interrupt_chunk` scripts a chunk that only partly arrives,
fails or whose answer comes too late. The reply builders (:func:`quota_exceeded`
…) make Google's error bodies for :meth:`FakeApi.fail_next`.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import json
import secrets
import ssl
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from attrs import define, field
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tests.fakes.google_oauth import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    CONSENT_PATH,
    REFRESH_TOKEN,
    SCOPES,
    GoogleOAuth,
    s256,
)
from tests.fakes.http_server import FakeApi, Recorded, Reply

__all__ = [
    "ACCESS_TOKEN",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CONSENT_PATH",
    "REFRESH_TOKEN",
    "SCOPES",
    "FakeGoogle",
    "s256",
]

CHANNEL_ID = "UCfakeChannel0000000000"
CHANNEL_TITLE = "Oasis Test Channel"


# -- TLS -----------------------------------------------------------------------------------------


@define(frozen=True)
class TlsFiles:
    """PEM files: the CA clients trust, and the server's certificate chain and key."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """An ``ssl`` context for the server side."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """An ``ssl`` context trusting only the fake CA."""
        return ssl.create_default_context(cafile=str(self.ca))


def make_tls_files(folder: Path) -> TlsFiles:
    """A throwaway CA and a certificate it signs for 127.0.0.1 and localhost, valid for ten days."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Oasis fake Google CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


# -- Google's error answers ----------------------------------------------------------------------


def api_error(status: int, reason: str, message: str, *, domain: str = "youtube.video") -> Reply:
    """A Data API error answer in Google's shape."""
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
    )


def quota_exceeded() -> Reply:
    """403 ``quotaExceeded``: the project's daily quota is used up."""
    return api_error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your quota.",
        domain="youtube.quota",
    )


def rate_limited() -> Reply:
    """403 ``rateLimitExceeded``."""
    return api_error(403, "rateLimitExceeded", "The request was rate limited.", domain="usageLimits")


def upload_limit_exceeded() -> Reply:
    """400 ``uploadLimitExceeded``: the channel uploaded too many videos for now."""
    return api_error(
        400, "uploadLimitExceeded", "The user has exceeded the number of videos they may upload."
    )


def forbidden() -> Reply:
    """403 ``forbidden``."""
    return api_error(403, "forbidden", "Access forbidden. The request may not be properly authorized.")


def invalid_title() -> Reply:
    """400 ``invalidTitle``."""
    return api_error(400, "invalidTitle", "The request metadata specifies an invalid or empty video title.")


def unauthorized() -> Reply:
    """401: the access token is not (or no longer) valid."""
    return Reply(
        401,
        {
            "error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token.",
                "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError"}],
                "status": "UNAUTHENTICATED",
            }
        },
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def backend_error(status: int = 503) -> Reply:
    """A 5xx ``backendError``."""
    return api_error(status, "backendError", "Backend Error", domain="global")


# -- the fake ------------------------------------------------------------------------------------


PRIVACY_STATUSES = ("public", "unlisted", "private")
"""``status.privacyStatus`` values (the Data API's discovery document, ``VideoStatus``)."""


def tags_length(tags: list[str]) -> int:
    """The length YouTube counts for tags: a tag with a space counts as quoted, commas between tags count."""
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(0, len(tags) - 1)


def metadata_refusal(metadata: dict[str, Any]) -> Reply | None:
    """The error YouTube answers for a video resource's snippet tags, category or status, or ``None``.

    Sources: the discovery document's enums (``privacyStatus`` public/unlisted/private, boolean
    ``selfDeclaredMadeForKids``/``containsSyntheticMedia``) and the metadata errors of
    ``videos.insert`` (``invalidTags``: more than 500 characters in all or ``<``/``>``;
    ``invalidCategoryId``) listed in ``platforms.md`` §B1.
    """
    snippet, status = metadata.get("snippet") or {}, metadata.get("status") or {}
    tags = snippet.get("tags") or []
    if not isinstance(tags, list) or any(not isinstance(t, str) or "<" in t or ">" in t for t in tags):
        return api_error(400, "invalidTags", "The request metadata specifies invalid video keywords.")
    if tags_length(tags) > 500:
        return api_error(400, "invalidTags", "The request metadata specifies invalid video keywords.")
    category = snippet.get("categoryId")
    if category is not None and not (isinstance(category, str) and category.isdigit()):
        return api_error(
            400, "invalidCategoryId", "The snippet.categoryId property specifies an invalid category ID."
        )
    privacy = status.get("privacyStatus")
    if privacy is not None and privacy not in PRIVACY_STATUSES:
        return api_error(
            400,
            "invalidVideoMetadata",
            f"Invalid value for status.privacyStatus: {privacy!r}.",
            domain="global",
        )
    for flag in ("selfDeclaredMadeForKids", "containsSyntheticMedia"):
        if flag in status and not isinstance(status[flag], bool):
            return api_error(
                400, "invalidVideoMetadata", f"Invalid value for status.{flag}.", domain="global"
            )
    return None


@define
class UploadSession:
    """One resumable upload session."""

    id: str
    metadata: dict[str, Any]
    total: int
    query: dict[str, list[str]]
    received: bytearray = field(factory=bytearray)
    video_id: str | None = None


@define
class ChunkFault:
    """What happens to one data chunk: how much of it arrives, and the answer (or how late it comes)."""

    keep: int | None = None
    reply: Reply | None = None
    delay: float = 0.0


class FakeGoogle(GoogleOAuth, FakeApi):
    """The fake consent page, token endpoint and YouTube Data API (see the module docs)."""

    routes = (
        *GoogleOAuth.oauth_routes,
        ("GET", r"/youtube/v3/channels", "_channels"),
        ("GET", r"/youtube/v3/videos", "_videos"),
        ("POST", r"/upload/youtube/v3/videos", "_start_upload"),
        ("PUT", r"/upload/youtube/v3/videos", "_put_upload"),
    )

    def __init__(self, tls: TlsFiles | None = None) -> None:
        super().__init__()
        self.tls = tls
        self.has_channel = True
        self.reset()

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FakeGoogle:
        """Start serving; with ``tls``, wrap the listening socket so every connection speaks TLS."""
        super().start()
        if self.tls is not None:
            assert self._server is not None
            self._server.socket = self.tls.server_context().wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            report = self._server.handle_error

            def handle_error(request: Any, client_address: Any) -> None:
                # A client that does not trust the CA (a test of exactly that) or that hung up
                # mid-handshake is not a fault of the fake: keep the test output clean.
                if not isinstance(sys.exc_info()[1], OSError):
                    report(request, client_address)

            self._server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT`` (``http://`` without TLS)."""
        plain = super().url
        return plain.replace("http://", "https://", 1) if self.tls is not None else plain

    def reset(self) -> None:
        """Forget requests, failures, tokens, sessions and videos; accept the default tokens again."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        self.reset_oauth()
        self.sessions: dict[str, UploadSession] = {}
        self.inserts: list[dict[str, Any]] = []
        """The ``video`` resource (``snippet``, ``status``) and query of each ``videos.insert`` accepted."""
        self.videos: dict[str, dict[str, Any]] = {}
        self.completed_uploads = 0
        self.chunk_faults: dict[int, ChunkFault] = {}
        self._chunks_seen = 0
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()
        self.has_channel = True

    # -- scripting ---------------------------------------------------------
    def interrupt_chunk(
        self, number: int, *, keep: int | None = None, reply: Reply | None = None, delay: float = 0.0
    ) -> None:
        """Script the ``number``-th data chunk (1-based, counted since :meth:`reset`).

        ``keep`` bytes of it arrive (``None``: all); then ``reply`` is sent (``None``:
        the normal answer), after ``delay`` seconds.
        """
        self.chunk_faults[number] = ChunkFault(keep, reply, delay)

    def add_video(self, upload_status: str = "processed", **status: Any) -> str:
        """A video already on the channel; returns its id."""
        video_id = self._new_video_id()
        self.videos[video_id] = {
            "kind": "youtube#video",
            "id": video_id,
            "snippet": {"title": "Existing", "channelId": CHANNEL_ID},
            "status": {"uploadStatus": upload_status, "privacyStatus": "public", **status},
        }
        return video_id

    def uploaded_bytes(self, video_id: str) -> bytes:
        """The bytes that made up an uploaded video."""
        for session in self.sessions.values():
            if session.video_id == video_id:
                return bytes(session.received)
        raise KeyError(video_id)

    def session_for(self, video_id: str) -> UploadSession:
        """The upload session that created ``video_id``."""
        return next(session for session in self.sessions.values() if session.video_id == video_id)

    # -- handlers ----------------------------------------------------------
    def _authorized(self, request: Recorded) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[len("Bearer ") :] in self.access_tokens

    def _channels(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        items = []
        if self.has_channel and parse_qs(request.query).get("mine") == ["true"]:
            items = [{"kind": "youtube#channel", "id": CHANNEL_ID, "snippet": {"title": CHANNEL_TITLE}}]
        return Reply(200, {"kind": "youtube#channelListResponse", "items": items})

    def _videos(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        ids = ",".join(parse_qs(request.query).get("id", [])).split(",")
        items = [self.videos[video_id] for video_id in ids if video_id in self.videos]
        return Reply(200, {"kind": "youtube#videoListResponse", "items": items})

    def _start_upload(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        query = parse_qs(request.query)
        if query.get("uploadType") != ["resumable"]:
            return api_error(400, "badRequest", "Only resumable uploads are faked")
        try:
            total = int(request.headers["x-upload-content-length"])
        except (KeyError, ValueError):
            return api_error(400, "badRequest", "X-Upload-Content-Length is required")
        metadata = request.json() or {}
        title = (metadata.get("snippet") or {}).get("title") or ""
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return invalid_title()
        description = (metadata.get("snippet") or {}).get("description") or ""
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            return api_error(
                400, "invalidDescription", "The request metadata specifies an invalid video description."
            )
        refused = metadata_refusal(metadata)
        if refused is not None:
            return refused
        session = UploadSession(secrets.token_urlsafe(12), metadata, total, query)
        with self._state_lock:
            self.sessions[session.id] = session
            self.inserts.append({**metadata, "query": {name: values[0] for name, values in query.items()}})
        location = f"{self.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session.id}"
        return Reply(200, None, headers={"Location": location, "X-GUploader-UploadID": session.id})

    def _put_upload(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        upload_id = (parse_qs(request.query).get("upload_id") or [""])[0]
        session = self.sessions.get(upload_id)
        if session is None:
            return Reply(404, {"error": {"code": 404, "message": "Upload session not found"}})
        spec = request.headers.get("content-range", "")
        unit, _, rest = spec.partition(" ")
        span, _, total = rest.partition("/")
        if unit != "bytes" or not total.isdigit() or int(total) != session.total:
            return api_error(400, "badRequest", f"Bad Content-Range {spec!r}")
        if span == "*":  # how far did it get?
            return self._session_state(session)
        first, _, last = span.partition("-")
        start, end = int(first), int(last)
        data = request.body
        if end - start + 1 != len(data):
            return api_error(400, "badRequest", "Content-Range does not match the body")
        with self._state_lock:
            self._chunks_seen += 1
            fault = self.chunk_faults.pop(self._chunks_seen, None)
            if fault is not None and fault.keep is not None:
                data = data[: fault.keep]
            if session.video_id is None:
                if start > len(session.received):
                    return api_error(400, "badRequest", "The chunk starts past the bytes received")
                session.received += data[len(session.received) - start :]
        answer = self._session_state(session)
        if fault is not None:
            reply = fault.reply or answer
            reply.delay = fault.delay
            return reply
        return answer

    def _session_state(self, session: UploadSession) -> Reply:
        with self._state_lock:
            if session.video_id is None and len(session.received) >= session.total:
                session.video_id = self._new_video_id()
                snippet = {**(session.metadata.get("snippet") or {}), "channelId": CHANNEL_ID}
                status = {"uploadStatus": "uploaded", **(session.metadata.get("status") or {})}
                self.videos[session.video_id] = {
                    "kind": "youtube#video",
                    "id": session.video_id,
                    "snippet": snippet,
                    "status": status,
                }
                self.completed_uploads += 1
            if session.video_id is not None:
                return Reply(200, self.videos[session.video_id])
            headers = {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
            return Reply(308, None, headers=headers)

    def _new_video_id(self) -> str:
        return f"vid{next(self._ids):08d}"


def json_body(request: Recorded) -> Any:
    """A recorded request's JSON body."""
    return json.loads(request.body or b"null")
