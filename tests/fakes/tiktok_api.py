"""A fake TikTok on 127.0.0.1: Login Kit v2 OAuth and the Content Posting API (Direct Post, FILE_UPLOAD).

Routes, with TikTok's wire format (``platforms.md`` §B2):

* ``GET /v2/auth/authorize/``: the consent page, which consents at once: a
  302 to ``redirect_uri?code=…&state=…`` (the code remembers the PKCE challenge).
* ``POST /v2/oauth/token/`` (form-encoded): ``authorization_code`` (checks the
  client, the redirect URI and the S256 ``code_verifier``) and
  ``refresh_token`` (rotates the refresh token: the old one stops working).
  Answers and errors are flat JSON (``error``, ``error_description``, ``log_id``).
* ``POST /v2/oauth/revoke/``: forgets the token and its refresh token.
* ``GET /v2/user/info/``, ``POST /v2/post/publish/creator_info/query/``,
  ``POST /v2/post/publish/video/init/``, ``POST /v2/post/publish/status/fetch/``:
  Bearer tokens and scopes enforced; ``{"data": …, "error": {"code", "message", "log_id"}}``.
* ``PUT /video/?upload_id=…&upload_token=…``: the upload URL; it enforces the
  chunk rules (in order, ``Content-Range`` matching the init's ``chunk_size`` and
  ``total_chunk_count``, the last chunk taking the rest), answers 206 per chunk
  and 201 after the last, and counts completed uploads per ``publish_id``.

A post's status is ``PROCESSING_UPLOAD`` until its last chunk, then
``PROCESSING_DOWNLOAD`` for ``processing_polls`` status fetches, then
``PUBLISH_COMPLETE`` (or ``FAILED`` with ``fail_reason`` when that is set).
The chunk bounds are the stricter reading of TikTok's "MB" (see
``oasis_plugins.tiktok.limits``): chunks of 5 MiB to 64,000,000 bytes, a last
chunk of at most 128,000,000 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode

from attrs import define, field
from tests.fakes.http_server import FakeApi, Recorded, Reply

CLIENT_KEY = "aw-test-client-key"
CLIENT_SECRET = "test-client-secret-0123456789"
OPEN_ID = "-000OPENID-oasis-tester"
USERNAME = "oasis.tester"
DISPLAY_NAME = "Oasis Tester"
SCOPES = frozenset({"user.info.basic", "video.publish"})

MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64_000_000
MAX_LAST_CHUNK = 128_000_000
MAX_CHUNKS = 1000
CONTENT_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})

DEFAULT_CREATOR: dict[str, Any] = {
    "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
    "creator_username": USERNAME,
    "creator_nickname": DISPLAY_NAME,
    "privacy_level_options": [
        "PUBLIC_TO_EVERYONE",
        "MUTUAL_FOLLOW_FRIENDS",
        "FOLLOWER_OF_CREATOR",
        "SELF_ONLY",
    ],
    "comment_disabled": False,
    "duet_disabled": False,
    "stitch_disabled": True,
    "max_video_post_duration_sec": 600,
}
"""What creator info answers unless a test changes ``FakeTikTok.creator``."""

_log_ids = itertools.count(1)


def _log_id() -> str:
    return f"20260901000000{next(_log_ids):010d}"


def api_error(status: int, code: str, message: str = "") -> Reply:
    """A v2 API error answer."""
    return Reply(status, {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id()}})


def oauth_error(status: int, error: str, description: str) -> Reply:
    """An OAuth (token, revoke) error answer: flat fields."""
    return Reply(status, {"error": error, "error_description": description, "log_id": _log_id()})


def token_invalid() -> Reply:
    """TikTok's 401 for an unknown or expired access token."""
    return api_error(401, "access_token_invalid", "The access token is invalid or not found in the request.")


def rate_limited(retry_after: str | None = None) -> Reply:
    """TikTok's 429, with a ``Retry-After`` header when given one."""
    reply = api_error(429, "rate_limit_exceeded", "API rate limit exceeded, please retry later.")
    if retry_after is not None:
        reply.headers["Retry-After"] = retry_after
    return reply


def server_error() -> Reply:
    """A 500 ``internal_error``."""
    return api_error(500, "internal_error", "Something went wrong. Please try again later.")


def refused(code: str, status: int = 403, message: str = "") -> Reply:
    """A permanent refusal (``spam_risk_too_many_posts``, ``unaudited_client_…``)."""
    return api_error(status, code, message or code.replace("_", " "))


def connection_dropped() -> Reply:
    """An answer the client's HTTP parser rejects and drops the connection over, as a cut connection does.

    The base server adds its own ``Content-Length``; a second, different one
    makes the answer unreadable (``httpx.RemoteProtocolError``, a transport error).
    """
    return Reply(200, raw=b"{}", headers={"Content-Length": "999"})


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier``."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def chunk_rule_violation(video_size: int, chunk_size: int, total_chunk_count: int) -> str | None:
    """Why a FILE_UPLOAD's ``source_info`` breaks TikTok's chunk rules, or ``None``."""
    if video_size < 1 or chunk_size < 1 or total_chunk_count < 1:
        return "video_size, chunk_size and total_chunk_count must be positive"
    if total_chunk_count > MAX_CHUNKS:
        return f"total_chunk_count must be at most {MAX_CHUNKS}"
    if total_chunk_count != video_size // chunk_size:
        return "total_chunk_count must be floor(video_size / chunk_size)"
    if chunk_size > MAX_CHUNK:
        return f"chunk_size must be at most {MAX_CHUNK} bytes; bigger videos must be sent in chunks"
    if total_chunk_count == 1:
        if chunk_size != video_size:
            return "a single-chunk upload must have chunk_size equal to video_size"
        return None
    if chunk_size < MIN_CHUNK:
        return f"chunk_size must be at least {MIN_CHUNK} bytes"
    if video_size - (total_chunk_count - 1) * chunk_size > MAX_LAST_CHUNK:
        return f"the last chunk must be at most {MAX_LAST_CHUNK} bytes"
    return None


@define
class Grant:
    """One user's consent: an open_id and its scopes."""

    open_id: str
    scopes: frozenset[str]


@define
class Post:
    """One FILE_UPLOAD Direct Post as the fake holds it."""

    publish_id: str
    open_id: str
    post_info: dict[str, Any]
    video_size: int
    chunk_size: int
    total_chunk_count: int
    upload_id: str
    upload_token: str
    next_byte: int = 0
    chunks_received: int = 0
    digest: Any = field(factory=hashlib.sha256)
    status: str = "PROCESSING_UPLOAD"
    polls_left: int = 0
    fail_reason: str | None = None
    post_id: int | None = None

    @property
    def uploaded(self) -> bool:
        """Whether every byte arrived."""
        return self.next_byte == self.video_size


class FakeTikTok(FakeApi):
    """The fake TikTok (see the module docs).

    Knobs: ``creator`` (the creator info), ``audited`` (``False``: only
    ``SELF_ONLY`` posts are accepted, with TikTok's unaudited-client error),
    ``processing_polls``, ``fail_reason`` (posts fail after their upload with
    it), ``expires_in``, and ``chunk_failures`` (chunk index → replies given
    instead of accepting that chunk, in order).
    """

    routes = (
        ("GET", r"/v2/auth/authorize/", "_authorize"),
        ("POST", r"/v2/oauth/token/", "_token"),
        ("POST", r"/v2/oauth/revoke/", "_revoke"),
        ("GET", r"/v2/user/info/", "_user_info"),
        ("POST", r"/v2/post/publish/creator_info/query/", "_creator_info"),
        ("POST", r"/v2/post/publish/video/init/", "_init"),
        ("PUT", r"/video/", "_upload"),
        ("POST", r"/v2/post/publish/status/fetch/", "_status"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._state = threading.Lock()
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget requests, queued failures, tokens, posts and knobs (to reuse a running fake)."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        with self._state:
            self.creator: dict[str, Any] = {
                **DEFAULT_CREATOR,
                "privacy_level_options": list(DEFAULT_CREATOR["privacy_level_options"]),
            }
            self.audited = True
            self.processing_polls = 1
            self.fail_reason: str | None = None
            self.expires_in = 86400
            self.chunk_failures: dict[int, list[Reply]] = {}
            self.access_tokens: dict[str, Grant] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.codes: dict[str, tuple[Grant, str, str | None]] = {}
            self.posts: dict[str, Post] = {}
            self.completed_uploads: Counter[str] = Counter()

    # -- helpers for tests -------------------------------------------------------------------------
    def issue_tokens(self, *, open_id: str = OPEN_ID, scopes: frozenset[str] = SCOPES) -> dict[str, Any]:
        """New tokens for ``open_id``, as the token endpoint answers them."""
        with self._state:
            return self._issue(Grant(open_id, frozenset(scopes)))

    def post(self, publish_id: str) -> Post:
        """The post with that id."""
        with self._state:
            return self.posts[publish_id]

    @property
    def inits(self) -> list[Recorded]:
        """The init requests received."""
        return self.requests_to(r"/video/init/$")

    @property
    def chunk_puts(self) -> list[Recorded]:
        """The chunk ``PUT`` requests received (scripted failures included)."""
        return [request for request in self.requests if request.method == "PUT"]

    def _issue(self, grant: Grant) -> dict[str, Any]:
        number = next(self._ids)
        access, refresh = f"act.{number:06d}.{grant.open_id}", f"rft.{number:06d}.{grant.open_id}"
        self.access_tokens[access] = grant
        self.refresh_tokens[refresh] = grant
        return {
            "access_token": access,
            "expires_in": self.expires_in,
            "open_id": grant.open_id,
            "refresh_expires_in": 31536000,
            "refresh_token": refresh,
            "scope": ",".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }

    def _grant(self, request: Recorded, scope: str) -> Grant | Reply:
        auth = request.headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        grant = self.access_tokens.get(token)
        if grant is None:
            return token_invalid()
        if scope not in grant.scopes:
            return api_error(401, "scope_not_authorized", f"The user did not authorize the scope {scope}.")
        return grant

    @staticmethod
    def _ok(data: dict[str, Any]) -> Reply:
        return Reply(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id()}})

    # -- OAuth -------------------------------------------------------------------------------------
    def _authorize(self, request: Recorded, match: Any) -> Reply:
        query = {name: values[0] for name, values in parse_qs(request.query).items()}
        if query.get("client_key") != CLIENT_KEY:
            return Reply(400, {"error": "invalid_client", "error_description": "client_key is unknown"})
        if query.get("response_type") != "code" or not query.get("redirect_uri"):
            return Reply(
                400, {"error": "invalid_request", "error_description": "response_type or redirect_uri"}
            )
        challenge = query.get("code_challenge")
        if challenge and query.get("code_challenge_method") != "S256":
            return Reply(400, {"error": "invalid_request", "error_description": "code_challenge_method"})
        scopes = frozenset(query.get("scope", "").split(",")) & SCOPES
        code = f"code-{next(self._ids):06d}"
        with self._state:
            self.codes[code] = (Grant(OPEN_ID, scopes), query["redirect_uri"], challenge)
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'scopes': ','.join(sorted(scopes)), 'state': query.get('state', '')})}"
        return Reply(302, None, headers={"Location": location})

    def _token(self, request: Recorded, match: Any) -> Reply:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("client_key") != CLIENT_KEY or form.get("client_secret") != CLIENT_SECRET:
            return oauth_error(401, "invalid_client", "Client key or secret is incorrect.")
        with self._state:
            if form.get("grant_type") == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)
                if entry is None:
                    return oauth_error(400, "invalid_grant", "Authorization code is expired or invalid.")
                grant, redirect_uri, challenge = entry
                if form.get("redirect_uri") != redirect_uri:
                    return oauth_error(400, "invalid_grant", "redirect_uri does not match.")
                if challenge and s256(form.get("code_verifier", "")) != challenge:
                    return oauth_error(400, "invalid_grant", "Code verifier is invalid.")
                return Reply(200, self._issue(grant))
            if form.get("grant_type") == "refresh_token":
                grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if grant is None:
                    return oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.")
                return Reply(200, self._issue(grant))
        return oauth_error(400, "unsupported_grant_type", "grant_type is not supported.")

    def _revoke(self, request: Recorded, match: Any) -> Reply:
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("client_key") != CLIENT_KEY or form.get("client_secret") != CLIENT_SECRET:
            return oauth_error(401, "invalid_client", "Client key or secret is incorrect.")
        with self._state:
            grant = self.access_tokens.pop(form.get("token", ""), None)
            if grant is None:
                return oauth_error(400, "invalid_grant", "Token is invalid or expired.")
            for token in [token for token, held in self.refresh_tokens.items() if held is grant]:
                del self.refresh_tokens[token]
            for token in [token for token, held in self.access_tokens.items() if held is grant]:
                del self.access_tokens[token]
        return Reply(200, None)

    # -- the v2 API --------------------------------------------------------------------------------
    def _user_info(self, request: Recorded, match: Any) -> Reply:
        with self._state:
            grant = self._grant(request, "user.info.basic")
        if isinstance(grant, Reply):
            return grant
        fields = parse_qs(request.query).get("fields", [""])[0].split(",")
        user = {
            "open_id": grant.open_id,
            "union_id": "union-1",
            "avatar_url": "",
            "display_name": DISPLAY_NAME,
        }
        return self._ok({"user": {name: user[name] for name in fields if name in user}})

    def _creator_info(self, request: Recorded, match: Any) -> Reply:
        with self._state:
            grant = self._grant(request, "video.publish")
            creator = dict(self.creator)
        if isinstance(grant, Reply):
            return grant
        return self._ok(creator)

    def _init(self, request: Recorded, match: Any) -> Reply:
        with self._state:
            grant = self._grant(request, "video.publish")
            if isinstance(grant, Reply):
                return grant
            body = request.json() or {}
            post_info, source = body.get("post_info") or {}, body.get("source_info") or {}
            level = post_info.get("privacy_level")
            # Direct Post reference: privacy_level must be one of creator_info's privacy_level_options
            # (error privacy_level_option_mismatch); content-sharing guidelines: an unaudited client
            # posts SELF_ONLY only (error unaudited_client_can_only_post_to_private_accounts).
            if level not in self.creator["privacy_level_options"]:
                return api_error(
                    400, "privacy_level_option_mismatch", f"{level} is not an option of the creator."
                )
            if not self.audited and level != "SELF_ONLY":
                return refused(
                    "unaudited_client_can_only_post_to_private_accounts",
                    message="Please review our integration guidelines.",
                )
            if source.get("source") != "FILE_UPLOAD":
                return api_error(
                    400, "invalid_params", "source_info.source must be FILE_UPLOAD in this fake."
                )
            try:
                size, chunk, count = (
                    int(source[name]) for name in ("video_size", "chunk_size", "total_chunk_count")
                )
            except (KeyError, TypeError, ValueError):
                return api_error(
                    400, "invalid_params", "video_size, chunk_size and total_chunk_count are required."
                )
            problem = chunk_rule_violation(size, chunk, count)
            if problem:
                return api_error(400, "invalid_params", problem)
            number = next(self._ids)
            post = Post(
                publish_id=f"v_pub_file~v2-1.{number:012d}",
                open_id=grant.open_id,
                post_info=post_info,
                video_size=size,
                chunk_size=chunk,
                total_chunk_count=count,
                upload_id=f"up{number:08d}",
                upload_token=f"tok{number:08d}",
            )
            self.posts[post.publish_id] = post
        query = urlencode({"upload_id": post.upload_id, "upload_token": post.upload_token})
        return self._ok({"publish_id": post.publish_id, "upload_url": f"{self.url}/video/?{query}"})

    def _upload(self, request: Recorded, match: Any) -> Reply:
        query = {name: values[0] for name, values in parse_qs(request.query).items()}
        with self._state:
            post = next(
                (
                    post
                    for post in self.posts.values()
                    if post.upload_id == query.get("upload_id")
                    and post.upload_token == query.get("upload_token")
                ),
                None,
            )
            if post is None:
                return api_error(404, "invalid_upload_url", "The upload URL is unknown or expired.")
            scripted = self.chunk_failures.get(post.chunks_received)
            if scripted:
                return scripted.pop(0)
            if request.headers.get("content-type") not in CONTENT_TYPES:
                return api_error(
                    400,
                    "invalid_file_upload",
                    "Content-Type must be video/mp4, video/quicktime or video/webm.",
                )
            found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("content-range", ""))
            if not found:
                return api_error(
                    400, "invalid_file_upload", "Content-Range must be 'bytes first-last/total'."
                )
            first, last, total = (int(part) for part in found.groups())
            if post.uploaded:
                return api_error(400, "invalid_file_upload", "The upload is already complete.")
            index = post.chunks_received
            expected_last = (
                post.video_size - 1 if index == post.total_chunk_count - 1 else first + post.chunk_size - 1
            )
            if total != post.video_size or first != post.next_byte or last != expected_last:
                return api_error(
                    400,
                    "invalid_file_upload",
                    f"Chunk {index} must be bytes {post.next_byte}-{expected_last}/{post.video_size}, "
                    f"not {first}-{last}/{total}.",
                )
            if len(request.body) != last - first + 1:
                return api_error(400, "invalid_file_upload", "The body length does not match Content-Range.")
            post.digest.update(request.body)
            post.next_byte = last + 1
            post.chunks_received += 1
            if not post.uploaded:
                return Reply(206, None)
            self.completed_uploads[post.publish_id] += 1
            post.status = "PROCESSING_DOWNLOAD"
            post.polls_left = self.processing_polls
            post.fail_reason = self.fail_reason
            if post.post_info.get("privacy_level") == "PUBLIC_TO_EVERYONE":
                post.post_id = 7_400_000_000_000_000_000 + next(self._ids)
        return Reply(201, None)

    def _status(self, request: Recorded, match: Any) -> Reply:
        with self._state:
            grant = self._grant(request, "video.publish")
            if isinstance(grant, Reply):
                return grant
            post = self.posts.get(str((request.json() or {}).get("publish_id")))
            if post is None or post.open_id != grant.open_id:
                return api_error(400, "invalid_publish_id", "The publish_id does not exist.")
            if post.uploaded and post.status == "PROCESSING_DOWNLOAD":
                if post.polls_left > 0:
                    post.polls_left -= 1
                else:
                    post.status = "FAILED" if post.fail_reason else "PUBLISH_COMPLETE"
            data: dict[str, Any] = {"status": post.status, "uploaded_bytes": post.next_byte}
            if post.status == "FAILED":
                data["fail_reason"] = post.fail_reason
            if post.status == "PUBLISH_COMPLETE":
                data["publicaly_available_post_id"] = [post.post_id] if post.post_id else []
        return self._ok(data)
