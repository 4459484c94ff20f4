"""A fake of Instagram's private mobile API, for the ``instagram`` publisher through the real instagrapi.

The server is a real HTTP server on 127.0.0.1 (:class:`FakeInstagram`, built on
:class:`tests.fakes.http_server.FakeApi`). instagrapi always builds
``https://i.instagram.com/...`` (and ``b.i.instagram.com``, ``www.instagram.com``)
URLs and sends its private requests over HTTP/2 through curl, so
:meth:`FakeInstagram.client_class` returns a ``Client`` subclass whose three
``requests`` sessions (private, public, graphql) carry a transport adapter
that rewrites those hosts to the fake and raises :class:`EscapedRequest` for
any other host. No request can reach the real Instagram.

What it answers, as the app's endpoints do (shapes taken from instagrapi 3.2.2):

* the current Android login (CAA, Bloks): USDID registration, the login
  homepage's ``aac``, the attestation nonce, the OAuth preflight, the
  password key (``qe/sync/``; passwords arrive encrypted and are decrypted
  and checked here), the login request, and the profile-code two-step flow
  (``ap.two_step_verification``) for an account with a code;
* the post-login feeds, ``accounts/logout/``;
* a reel upload: ``upload_settings``, ``rupload_igvideo`` (GET then POST),
  ``rupload_igphoto`` (the cover), ``media/configure_to_clips/``;
* ``media/{pk}/info/`` and ``clips/user/``.

Every authenticated endpoint checks the ``Authorization`` header's session
and answers ``403 login_required`` for one it does not know (see
:meth:`FakeInstagram.end_sessions`). Errors are scripted per path with
:meth:`FakeInstagram.fail` and the reply builders below (``challenge_required``,
``two_factor_required``, ``login_required``, ``feedback_required``,
``please_wait``, ``throttled``, ``server_error`` …); :meth:`FakeInstagram.drop`
makes the connection fail instead. :attr:`FakeInstagram.reels` holds each
reel configured (one per completed upload).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import string
import threading
import time
from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import av
import numpy as np
import requests
from attrs import define, field
from Cryptodome.Cipher import AES, PKCS1_v1_5
from Cryptodome.PublicKey import RSA
from instagrapi import Client
from requests.adapters import HTTPAdapter
from tests.fakes.http_server import FakeApi, Recorded, Reply

INSTAGRAM_HOSTS = frozenset({"i.instagram.com", "b.i.instagram.com", "www.instagram.com"})
"""The hosts instagrapi talks to for logins and reels; they are served by the fake."""

AAC = "fake-account-access-context"
AP_2SV_ENTRYPOINT = "com.bloks.www.ap.two_step_verification.entrypoint_async"
AP_2SV_CODE_ENTRY = "com.bloks.www.ap.two_step_verification.code_entry"
AP_2SV_CODE_ENTRY_ASYNC = "com.bloks.www.ap.two_step_verification.code_entry_async"
CAA_PROCESS_CLIENT_DATA = "com.bloks.www.bloks.caa.login.process_client_data_and_redirect"
CAA_OAUTH_TOKEN_FETCH = "com.bloks.www.caa.login.oauth.token.fetch.async"
CAA_SEND_LOGIN = "com.bloks.www.bloks.caa.login.async.send_login_request"

# Paths, for scripting failures with FakeInstagram.fail().
LOGIN = rf"/api/v1/bloks/async_action/{re.escape(CAA_SEND_LOGIN)}/"
CODE_SUBMIT = rf"/api/v1/bloks/async_action/{re.escape(AP_2SV_CODE_ENTRY_ASYNC)}/"
UPLOAD_SETTINGS = r"/upload_settings/.+"
VIDEO_UPLOAD = r"/rupload_igvideo/.+"
COVER_UPLOAD = r"/rupload_igphoto/.+"
CONFIGURE = r"/api/v1/media/configure_to_clips/"
MEDIA_INFO = r"/api/v1/media/\d+/info/"
USER_CLIPS = r"/api/v1/clips/user/"

_KEY_LOCK = threading.Lock()
_KEY: RSA.RsaKey | None = None


def _password_key() -> RSA.RsaKey:
    """One RSA key per test process (generating one takes a moment)."""
    global _KEY
    with _KEY_LOCK:
        if _KEY is None:
            _KEY = RSA.generate(2048)
        return _KEY


class EscapedRequest(AssertionError):
    """A request for a host the fake does not serve: it would have left the machine."""


# -- scripted replies --------------------------------------------------------------------------------


def challenge_required() -> Reply:
    """Instagram wants the login confirmed in the app ("This was me")."""
    return Reply(
        400,
        {
            "message": "challenge_required",
            "challenge": {
                "url": "https://i.instagram.com/challenge/4242/AbCdEf/",
                "api_path": "/challenge/4242/AbCdEf/",
                "hide_webview_header": True,
                "lock": True,
                "logout": False,
                "native_flow": True,
            },
            "status": "fail",
            "error_type": "checkpoint_challenge_required",
        },
    )


def two_factor_required(username: str = "oasis.test") -> Reply:
    """The legacy two-factor answer: a code is needed."""
    return Reply(
        400,
        {
            "message": "",
            "two_factor_required": True,
            "two_factor_info": {
                "username": username,
                "two_factor_identifier": "fake-2fa-identifier",
                "sms_two_factor_on": False,
                "totp_two_factor_on": True,
            },
            "error_type": "two_factor_required",
            "status": "fail",
        },
    )


def bad_password() -> Reply:
    return Reply(
        400,
        {
            "message": "The password you entered is incorrect. Please try again.",
            "invalid_credentials": True,
            "error_type": "bad_password",
            "status": "fail",
        },
    )


def login_required() -> Reply:
    """What Instagram answers for a session it has logged out."""
    return Reply(403, {"message": "login_required", "logout_reason": 2, "status": "fail"})


def feedback_required(message: str = "We restrict certain activity to protect our community.") -> Reply:
    """An action block."""
    return Reply(
        400,
        {
            "message": "feedback_required",
            "spam": True,
            "feedback_title": "Try Again Later",
            "feedback_message": message,
            "feedback_url": "repute/report_problem/scraping/",
            "feedback_appeal_label": "Tell us",
            "feedback_ignore_label": "OK",
            "feedback_action": "report_problem",
            "status": "fail",
        },
    )


def please_wait() -> Reply:
    return Reply(400, {"message": "Please wait a few minutes before you try again.", "status": "fail"})


def throttled(retry_after: int | None = None) -> Reply:
    """HTTP 429, with a ``Retry-After`` header when ``retry_after`` is given."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(429, {"message": "Too many requests", "status": "fail"}, headers=headers)


def rate_limit_error() -> Reply:
    return Reply(400, {"message": "rate limited", "error_type": "rate_limit_error", "status": "fail"})


def server_error(status: int = 500) -> Reply:
    return Reply(
        status,
        raw=b"<html><body>Oops, an error occurred.</body></html>",
        headers={"Content-Type": "text/html"},
    )


def sentry_block() -> Reply:
    return Reply(
        400, {"message": "Sorry, there was a problem", "error_type": "sentry_block", "status": "fail"}
    )


def video_too_long() -> Reply:
    return Reply(400, {"message": "Uploaded video is too long (VideoTooLongException)", "status": "fail"})


def transcode_pending() -> Reply:
    """The 202 Instagram answers while it still transcodes; instagrapi configures again."""
    return Reply(202, {"message": "Transcode not finished yet.", "status": "fail"})


# -- the fake ----------------------------------------------------------------------------------------


@define
class FakeUser:
    """An account the fake knows."""

    pk: str
    username: str
    password: str
    code: str | None = None
    """The two-step code this account asks for at login, if any."""


@define
class FakeReel:
    """A reel the fake created (one per ``configure_to_clips`` that succeeded)."""

    pk: str
    code: str
    user: FakeUser
    caption: str
    upload_id: str
    video_bytes: int
    cover_bytes: int
    width: int
    height: int
    taken_at: int = field(factory=lambda: int(time.time()))


def _shortcode() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(11))


def _form(request: Recorded) -> dict[str, Any]:
    """The form fields of a private API POST (a signed body is unwrapped to its JSON)."""
    fields = {
        key: values[-1] for key, values in parse_qs(request.body.decode(), keep_blank_values=True).items()
    }
    signed = fields.get("signed_body")
    if signed is not None:
        return json.loads(signed.split(".", 1)[1])
    return fields


def _bloks(action: str = "", data: list[Any] | None = None) -> dict[str, Any]:
    return {"layout": {"bloks_payload": {"action": action, "data": data or [], "tree": {}}}, "status": "ok"}


def _context_screen(app: str, context: str) -> dict[str, Any]:
    """A Bloks answer that opens ``app`` with ``context`` (the shape instagrapi reads it from)."""
    return _bloks(
        f'(bk.action.bloks.AsyncActionWithDataManifestV2 "{app}" (f4i (dkc "context_data") (dkc "{context}")))'
    )


class FakeInstagram(FakeApi):
    """Instagram's private API, for one or more accounts; see the module docs."""

    routes = (
        ("POST", r"/graphql_www", "usdid_register"),
        ("POST", r"/api/v1/bloks/async_action/(?P<action>[^/]+)/", "bloks_action"),
        ("POST", r"/api/v1/bloks/apps/(?P<app>[^/]+)/", "bloks_app"),
        ("POST", r"/api/v1/attestation/create_android_keystore/", "attestation"),
        ("GET", r"/api/v1/qe/sync/", "password_key"),
        ("POST", r"/api/v1/feed/reels_tray/", "feed"),
        ("POST", r"/api/v1/feed/timeline/", "feed"),
        ("POST", r"/api/v1/accounts/logout/", "logout"),
        ("POST", r"/upload_settings/(?P<session>[^/]+)", "upload_settings"),
        ("GET", r"/rupload_igvideo/(?P<name>[^/]+)", "video_offset"),
        ("POST", r"/rupload_igvideo/(?P<name>[^/]+)", "video_upload"),
        ("POST", r"/rupload_igphoto/(?P<name>[^/]+)", "cover_upload"),
        ("POST", r"/api/v1/media/configure_to_clips/", "configure"),
        ("GET", r"/api/v1/media/(?P<pk>\d+)/info/", "media_info"),
        ("POST", r"/api/v1/clips/user/", "user_clips"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, FakeUser] = {}
        self.sessions: dict[str, FakeUser] = {}
        self.reels: list[FakeReel] = []
        self.codes_sent = 0
        self.escaped: list[str] = []
        self._pks = itertools.count(3_300_000_000_000_000_001)
        self._scripted: list[tuple[re.Pattern[str], deque[Reply]]] = []
        self._drops: list[tuple[re.Pattern[str], int]] = []
        self._lost: list[tuple[re.Pattern[str], Reply]] = []
        self._videos: dict[str, tuple[int, int, int]] = {}
        self._covers: dict[str, int] = {}
        self._contexts: dict[str, tuple[str, FakeUser]] = {}
        _password_key()

    # -- accounts and scripting --------------------------------------------------------------------
    def add_user(
        self, username: str, password: str, *, code: str | None = None, pk: str | None = None
    ) -> FakeUser:
        """An account that can log in (with a two-step ``code`` when given)."""
        user = FakeUser(pk or str(1_784_000_000 + len(self.users) + 1), username, password, code)
        self.users[username] = user
        return user

    def end_sessions(self) -> None:
        """Log every session out, as Instagram does after a password change or a security check."""
        with self._lock:
            self.sessions.clear()

    def fail(self, path: str, *replies: Reply) -> None:
        """Answer the next requests whose path matches ``path`` with ``replies``, in order."""
        with self._lock:
            self._scripted.append((re.compile(path), deque(replies)))

    def lose_answer(self, path: str, reply: Reply | None = None) -> None:
        """Do the next request to ``path`` as usual, then answer ``reply`` (a 502) instead.

        Instagram did the work but the answer never arrived: the outcome the
        client cannot tell from a refusal.
        """
        with self._lock:
            self._lost.append((re.compile(path), reply or server_error(502)))

    def drop(self, path: str, times: int = 1) -> None:
        """Make the next ``times`` requests to ``path`` fail with a reset connection."""
        with self._lock:
            self._drops.append((re.compile(path), times))

    def reset(self) -> None:
        """Forget requests, scripted failures, sessions, accounts and reels."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self._scripted.clear()
            self._drops.clear()
            self._lost.clear()
            self.users.clear()
            self.sessions.clear()
            self.reels.clear()
            self.escaped.clear()
            self.codes_sent = 0

    @property
    def configure_calls(self) -> int:
        """How many ``configure_to_clips`` requests arrived (each one that succeeds makes a reel)."""
        return len(self.requests_to(CONFIGURE))

    def _answer(self, request: Recorded) -> Reply:
        lost = None
        with self._lock:
            for pattern, queue in self._scripted:
                if queue and pattern.fullmatch(request.path):
                    self.requests.append(request)
                    return queue.popleft()
            for index, (pattern, reply) in enumerate(self._lost):
                if pattern.fullmatch(request.path):
                    del self._lost[index]
                    lost = reply
                    break
        answer = super()._answer(request)
        return answer if lost is None else lost

    def _should_drop(self, path: str) -> bool:
        with self._lock:
            for index, (pattern, times) in enumerate(self._drops):
                if times and pattern.fullmatch(path):
                    self._drops[index] = (pattern, times - 1)
                    return True
        return False

    # -- the client --------------------------------------------------------------------------------
    def client_class(self) -> type[Client]:
        """An instagrapi ``Client`` whose every request goes to this fake, with no pauses."""
        adapter = _LoopbackAdapter(self)

        class FakeInstagramClient(Client):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                for prefix in ("https://", "http://"):
                    self.graphql.mount(prefix, adapter)

            def _configure_private_session_retry(self, private_transport: str | None = None) -> None:
                # Instead of instagrapi's HTTP/2 curl transport: the loopback adapter.
                if private_transport is not None:
                    self.private_transport = self._normalize_private_transport(private_transport)
                self._private_adapter_transport = self.private_transport
                for prefix in ("https://", "http://"):
                    self.private.mount(prefix, adapter)

            def _configure_public_session_retry(self) -> None:
                for prefix in ("https://", "http://"):
                    self.public.mount(prefix, adapter)

            def set_retry_config(self, *args: Any, **kwargs: Any) -> bool:
                kwargs["request_timeout"] = 0  # instagrapi sleeps this long before each request
                return super().set_retry_config(*args, **kwargs)

        return FakeInstagramClient

    # -- helpers -----------------------------------------------------------------------------------
    def _session_user(self, request: Recorded) -> FakeUser | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer IGT:2:"):
            return None
        try:
            data = json.loads(base64.b64decode(header.rsplit(":", 1)[-1]))
        except ValueError:
            return None
        with self._lock:
            return self.sessions.get(str(data.get("sessionid")))

    def _authorized(self, request: Recorded) -> FakeUser | Reply:
        user = self._session_user(request)
        return user if user is not None else login_required()

    def _decrypt(self, enc_password: str) -> str:
        """Undo instagrapi's ``password_encrypt`` (``#PWD_INSTAGRAM:4:<time>:<payload>``)."""
        _, version, timestamp, payload = enc_password.split(":", 3)
        assert version == "4", enc_password[:20]
        raw = base64.b64decode(payload)
        iv, size = raw[2:14], int.from_bytes(raw[14:16], "little")
        session_key = PKCS1_v1_5.new(_password_key()).decrypt(raw[16 : 16 + size], None)
        tag, secret = raw[16 + size : 32 + size], raw[32 + size :]
        cipher = AES.new(session_key, AES.MODE_GCM, iv)
        cipher.update(timestamp.encode())
        return cipher.decrypt_and_verify(secret, tag).decode()

    def _logged_in(self, user: FakeUser) -> dict[str, Any]:
        """The Bloks answer of a successful login: authorization header and cookies, embedded."""
        sessionid = f"{user.pk}%3A{secrets.token_hex(8)}%3A7"
        with self._lock:
            self.sessions[sessionid] = user
        authorization = base64.b64encode(
            json.dumps(
                {"ds_user_id": user.pk, "sessionid": sessionid, "should_use_header_over_cookies": True}
            ).encode()
        ).decode()
        embedded = json.dumps(
            {
                "login_response": json.dumps(
                    {"logged_in_user": {"pk": int(user.pk), "username": user.username}, "status": "ok"}
                ),
                "headers": json.dumps(
                    {
                        "IG-Set-Authorization": f"Bearer IGT:2:{authorization}",
                        "ig-set-ig-u-rur": f"RVA,{user.pk},0:fake",
                    }
                ),
                "cookies": f"Set-Cookie: sessionid={sessionid}; ds_user_id={user.pk}; csrftoken=fakecsrf",
            }
        )
        return _bloks(f"(bk.action.caa.HandleLoginResponse {json.dumps(embedded)})")

    def _new_context(self, step: str, user: FakeUser) -> str:
        context = f"{step}-{secrets.token_hex(6)}"
        with self._lock:
            self._contexts[context] = (step, user)
        return context

    def _context(self, request: Recorded, step: str) -> FakeUser | None:
        params = json.loads(_form(request).get("params") or "{}")
        context = str(params.get("server_params", {}).get("context_data", ""))
        with self._lock:
            found = self._contexts.get(context)
        return found[1] if found and found[0] == step else None

    def media_json(self, reel: FakeReel) -> dict[str, Any]:
        """A reel as ``media/{pk}/info/`` and the feeds give it."""
        return {
            "pk": reel.pk,
            "id": f"{reel.pk}_{reel.user.pk}",
            "code": reel.code,
            "taken_at": reel.taken_at,
            "media_type": 2,
            "product_type": "clips",
            "user": {"pk": reel.user.pk, "username": reel.user.username, "full_name": ""},
            "caption": {"text": reel.caption} if reel.caption else None,
            "like_count": 0,
            "comment_count": 0,
            "video_duration": 3.5,
            "original_width": reel.width,
            "original_height": reel.height,
            "video_versions": [
                {
                    "url": f"https://scontent.cdninstagram.com/v/{reel.code}.mp4",
                    "width": reel.width,
                    "height": reel.height,
                }
            ],
        }

    # -- login -------------------------------------------------------------------------------------
    def usdid_register(self, request: Recorded, match: re.Match[str]) -> Reply:
        return Reply(200, {"data": {"usdid_registration": {"success": True}}})

    def attestation(self, request: Recorded, match: re.Match[str]) -> Reply:
        return Reply(
            200, {"challenge_nonce": secrets.token_hex(8), "key_nonce": secrets.token_hex(8), "status": "ok"}
        )

    def password_key(self, request: Recorded, match: re.Match[str]) -> Reply:
        public = base64.b64encode(_password_key().publickey().export_key()).decode()
        headers = {"ig-set-password-encryption-key-id": "41", "ig-set-password-encryption-pub-key": public}
        return Reply(200, {"status": "ok"}, headers=headers)

    def bloks_action(self, request: Recorded, match: re.Match[str]) -> Reply:
        action = match["action"]
        if action == CAA_PROCESS_CLIENT_DATA:
            return Reply(
                200, _bloks(data=[{"data": {"key": "CAA_ACCOUNT_ACCESS_CONTEXT:aac", "initial": AAC}}])
            )
        if action == CAA_OAUTH_TOKEN_FETCH:
            return Reply(200, _bloks())
        if action == CAA_SEND_LOGIN:
            return self._send_login(request)
        if action == AP_2SV_ENTRYPOINT:
            user = self._context(request, "entry")
            if user is None:
                return Reply(400, {"message": "Invalid context", "status": "fail"})
            self.codes_sent += 1
            return Reply(200, _context_screen(AP_2SV_CODE_ENTRY, self._new_context("screen", user)))
        if action == AP_2SV_CODE_ENTRY_ASYNC:
            user = self._context(request, "submit")
            params = json.loads(_form(request).get("params") or "{}")
            if user is None or str(params.get("client_input_params", {}).get("code")) != user.code:
                return Reply(
                    400, {"message": "That code isn't valid. You can request a new one.", "status": "fail"}
                )
            return Reply(200, self._logged_in(user))
        return Reply(404, {"message": f"unknown bloks action {action}", "status": "fail"})

    def bloks_app(self, request: Recorded, match: re.Match[str]) -> Reply:
        if match["app"] == AP_2SV_CODE_ENTRY:
            user = self._context(request, "screen")
            if user is not None:
                return Reply(200, _context_screen(AP_2SV_CODE_ENTRY_ASYNC, self._new_context("submit", user)))
        return Reply(400, {"message": "Invalid context", "status": "fail"})

    def _send_login(self, request: Recorded) -> Reply:
        params = json.loads(_form(request).get("params") or "{}")
        given = params.get("client_input_params", {})
        if given.get("aac") != AAC:
            return Reply(400, {"message": "Invalid login request", "status": "fail"})
        user = self.users.get(str(given.get("contact_point", "")))
        try:
            password = self._decrypt(str(given.get("password", "")))
        except (ValueError, AssertionError):
            password = None
        if user is None or password != user.password:
            return bad_password()
        if user.code is not None:
            return Reply(200, _context_screen(AP_2SV_ENTRYPOINT, self._new_context("entry", user)))
        return Reply(200, self._logged_in(user))

    def feed(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        return Reply(
            200, {"feed_items": [], "tray": [], "num_results": 0, "more_available": False, "status": "ok"}
        )

    def logout(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        with self._lock:
            for sessionid, owner in list(self.sessions.items()):
                if owner is user:
                    del self.sessions[sessionid]
        return Reply(200, {"status": "ok"})

    # -- uploads -----------------------------------------------------------------------------------
    def upload_settings(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        json.loads(request.body)  # the client sends its upload settings as JSON
        return Reply(200, {"status": "ok"})

    def video_offset(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        return user if isinstance(user, Reply) else Reply(200, {"offset": 0})

    def video_upload(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        params = json.loads(request.headers.get("x-instagram-rupload-params", "{}"))
        if (
            int(request.headers.get("x-entity-length", -1)) != len(request.body)
            or request.body[4:8] != b"ftyp"
        ):
            return Reply(400, {"message": "bad video upload", "status": "fail"})
        width, height = int(params["upload_media_width"]), int(params["upload_media_height"])
        with self._lock:
            self._videos[str(params["upload_id"])] = (len(request.body), width, height)
        return Reply(200, {"media_id": params["upload_id"], "status": "ok"})

    def cover_upload(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        params = json.loads(request.headers.get("x-instagram-rupload-params", "{}"))
        if request.body[:2] != b"\xff\xd8":
            return Reply(400, {"message": "the cover is not a JPEG", "status": "fail"})
        with self._lock:
            self._covers[str(params["upload_id"])] = len(request.body)
        return Reply(200, {"upload_id": params["upload_id"], "status": "ok"})

    def configure(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        data = _form(request)
        upload_id = str(data.get("upload_id"))
        with self._lock:
            video, cover = self._videos.get(upload_id), self._covers.get(upload_id)
        if video is None or cover is None:
            return Reply(
                400, {"message": "media_needs_reupload", "error_title": "upload missing", "status": "fail"}
            )
        reel = FakeReel(
            str(next(self._pks)),
            _shortcode(),
            user,
            str(data.get("caption", "")),
            upload_id,
            video[0],
            cover,
            video[1],
            video[2],
        )
        with self._lock:
            self.reels.append(reel)
        return Reply(200, {"media": self.media_json(reel), "upload_id": upload_id, "status": "ok"})

    # -- reading -----------------------------------------------------------------------------------
    def media_info(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        for reel in self.reels:
            if reel.pk == match["pk"]:
                return Reply(200, {"items": [self.media_json(reel)], "num_results": 1, "status": "ok"})
        return Reply(400, {"message": "Media not found or unavailable", "status": "fail"})

    def user_clips(self, request: Recorded, match: re.Match[str]) -> Reply:
        user = self._authorized(request)
        if isinstance(user, Reply):
            return user
        data = _form(request)
        target = str(data.get("target_user_id"))
        size = int(data.get("page_size") or 12)
        theirs = [reel for reel in reversed(self.reels) if reel.user.pk == target][:size]
        return Reply(
            200,
            {
                "items": [{"media": self.media_json(reel)} for reel in theirs],
                "paging_info": {"max_id": "", "more_available": False},
                "status": "ok",
            },
        )


class _LoopbackAdapter(HTTPAdapter):
    """Sends Instagram's hosts to the fake over plain HTTP; refuses every other host."""

    def __init__(self, fake: FakeInstagram) -> None:
        super().__init__(max_retries=0)
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        if parts.hostname not in INSTAGRAM_HOSTS:
            self.fake.escaped.append(request.url or "")
            raise EscapedRequest(f"instagrapi tried to reach {request.url}: only the fake may be called")
        if self.fake._should_drop(parts.path):
            raise requests.ConnectionError("Connection reset by peer (scripted by the fake)", request=request)
        local = urlsplit(self.fake.url)
        forwarded = request.copy()
        forwarded.url = urlunsplit(("http", local.netloc, parts.path, parts.query, ""))
        forwarded.headers["X-Fake-Original-Host"] = parts.hostname
        kwargs["proxies"] = {}  # never through a proxy, whatever the settings or the environment say
        kwargs["verify"] = False
        return super().send(forwarded, **kwargs)


# -- test videos -------------------------------------------------------------------------------------


def write_test_clip(
    path: Path,
    *,
    width: int = 360,
    height: int = 640,
    seconds: float = 3.5,
    fps: int = 24,
    audio: bool = True,
) -> Path:
    """Write a small H.264/AAC MP4 (moving colour bands and a tone), fast start, with PyAV."""
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "35"}
        sound = container.add_stream("aac", rate=44100) if audio else None
        rows = np.arange(height, dtype=np.uint16)[:, None]
        for index in range(round(seconds * fps)):
            shade = ((rows + index * 8) % 256).astype(np.uint8)
            picture = np.dstack(
                [
                    shade.repeat(width, axis=1),
                    np.full((height, width), 90, np.uint8),
                    255 - shade.repeat(width, axis=1),
                ]
            )
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            samples = int(seconds * 44100)
            tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(samples) / 44100)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                frame.sample_rate = 44100
                frame.pts = start
                frame.time_base = Fraction(1, 44100)
                container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return path
