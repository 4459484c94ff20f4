"""A small HTTP client of TikTok's v2 API (Login Kit OAuth, Content Posting API), on ``httpx``.

Two answer shapes exist. The OAuth endpoints answer flat JSON: tokens, or
``{"error", "error_description", "log_id"}``. Every other v2 endpoint answers
``{"data": {...}, "error": {"code", "message", "log_id"}}`` with ``code``
``"ok"`` on success. Both kinds of failure, and the network's, become Oasis
errors here (:func:`api_error`, :func:`oauth_error`), with a message a user
can act on; a rejected access token is a :class:`TokenRejected`, so the
publisher can refresh the token and try once more.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError

PROVIDER_ID = "tiktok"

DEFAULT_API_BASE_URL = "https://open.tiktokapis.com"
DEFAULT_AUTH_BASE_URL = "https://www.tiktok.com"

AUTHORIZE_PATH = "/v2/auth/authorize/"
TOKEN_PATH = "/v2/oauth/token/"
REVOKE_PATH = "/v2/oauth/revoke/"
USER_INFO_PATH = "/v2/user/info/"
CREATOR_INFO_PATH = "/v2/post/publish/creator_info/query/"
VIDEO_INIT_PATH = "/v2/post/publish/video/init/"
STATUS_PATH = "/v2/post/publish/status/fetch/"

SCOPES = ("user.info.basic", "video.publish")
"""The scopes Oasis asks for: the creator's name, and Direct Post."""

RATE_LIMIT_WINDOW_S = 60.0
"""TikTok counts requests over a sliding minute; the wait after a 429 that names none."""

_UPLOAD_OK = frozenset({200, 201, 206})

_MESSAGES: dict[str, str] = {
    "access_token_invalid": "TikTok no longer accepts this account's access token: connect the TikTok account again",
    "scope_not_authorized": (
        "The TikTok account did not allow Oasis to post (scope video.publish): connect it again "
        "and leave every permission ticked"
    ),
    "scope_permission_missed": (
        "The TikTok app lacks the permission to post (video.publish): add Content Posting API "
        "with Direct Post to the app in the TikTok developer portal, then connect the account again"
    ),
    "unaudited_client_can_only_post_to_private_accounts": (
        "This TikTok app is not audited yet, so TikTok lets it post only privately, to accounts that are "
        "private at posting time: set the post's privacy to private and the TikTok account to private, "
        "or get the app audited by TikTok"
    ),
    "privacy_level_option_mismatch": (
        "TikTok refused the post's privacy for this account: choose one the account allows "
        "(a private account cannot post publicly)"
    ),
    "spam_risk_too_many_posts": (
        "This TikTok account has reached TikTok's daily limit of posts made through apps: try again tomorrow"
    ),
    "spam_risk_user_banned_from_posting": "TikTok has banned this account from posting: see the TikTok app",
    "spam_risk_text": "TikTok flagged the caption as spam: change the title, description or tags",
    "spam_risk_too_many_pending_share": (
        "This TikTok account has too many posts waiting in its inbox (5 a day at most): try again tomorrow"
    ),
    "spam_risk": "TikTok refused the post as a spam risk: try again later with a different caption",
    "reached_active_user_cap": (
        "This TikTok app has reached the number of accounts it may post for today (apps in review are "
        "capped): try again tomorrow, or get the app audited by TikTok"
    ),
    "url_ownership_unverified": "TikTok refused to fetch the video from a URL it has not verified",
    "app_version_check_failed": "TikTok refused the app's API version: update Oasis",
    "invalid_file_upload": "TikTok refused the uploaded file",
}
"""Permanent error codes, as messages a user can act on."""

FAIL_REASONS: dict[str, str] = {
    "file_format_check_failed": "TikTok could not read the video file: render it again as an H.264 MP4",
    "duration_check_failed": (
        "The video is longer or shorter than this TikTok account may post: shorten it, or check the "
        "account's maximum duration in the TikTok app"
    ),
    "frame_rate_check_failed": "TikTok refused the video's frame rate: render it at 23 to 60 frames per second",
    "picture_size_check_failed": "TikTok refused the video's frame size: use 360 to 4096 pixels per side",
    "video_pull_failed": "TikTok could not download the video",
    "internal": "TikTok failed while processing the video: try again",
    "publish_cancelled": "The post was cancelled in TikTok",
    "auth_removed": "The TikTok account removed Oasis's access while the post was processing: connect it again",
    "spam_risk_too_many_posts": _MESSAGES["spam_risk_too_many_posts"],
    "spam_risk_user_banned_from_posting": _MESSAGES["spam_risk_user_banned_from_posting"],
}
"""``fail_reason`` values of a FAILED post, as messages a user can act on."""

_RETRYABLE_CODES = frozenset({"rate_limit_exceeded", "internal_error", "unknown_error", "server_error"})
_CREDENTIAL_CODES = frozenset({"scope_not_authorized"})


class TokenRejected(NeedsCredentials):
    """TikTok refused the access token (``access_token_invalid``): refresh it, then try once more."""


class TikTokRefusal(ProviderError):
    """TikTok refused the call for good; ``code`` is its error code (``spam_risk_text``, ``invalid_params`` …)."""

    def __init__(self, message: str, *, code: str) -> None:
        self.code = code
        super().__init__(message, provider=PROVIDER_ID)


class UploadLinkExpired(RetryableProviderError):
    """The upload URL no longer works: sending the chunk again is useless, starting over is not."""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), if any."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def fail_reason_message(reason: str | None) -> str:
    """The message for a FAILED post's ``fail_reason``."""
    if not reason:
        return (
            "TikTok could not publish the video and gave no reason: try again, or post it from the TikTok app"
        )
    return FAIL_REASONS.get(reason, f"TikTok could not publish the video ({reason})")


def api_error(
    status: int, code: str, message: str = "", log_id: str = "", *, wait: float | None = None
) -> ProviderError:
    """The Oasis error for a v2 API failure: HTTP ``status``, TikTok's error ``code``, ``message`` and ``log_id``."""
    detail = " ".join(message.split())
    suffix = f" (TikTok log id {log_id})" if log_id else ""
    if code == "access_token_invalid" or (
        status == 401 and code not in _CREDENTIAL_CODES | {"scope_permission_missed"}
    ):
        return TokenRejected(_MESSAGES["access_token_invalid"], provider=PROVIDER_ID)
    if code in _CREDENTIAL_CODES:
        return NeedsCredentials(_MESSAGES[code], provider=PROVIDER_ID)
    if code == "rate_limit_exceeded" or status == 429:
        return RetryableProviderError(
            "TikTok's rate limit is reached: Oasis will try again in a minute",
            provider=PROVIDER_ID,
            retry_after=wait if wait is not None else RATE_LIMIT_WINDOW_S,
        )
    if code in _RETRYABLE_CODES or status >= 500:
        return RetryableProviderError(
            f"TikTok failed for a moment ({code or status}): Oasis will try again{suffix}",
            provider=PROVIDER_ID,
            retry_after=wait,
        )
    known = _MESSAGES.get(code) or (_MESSAGES["spam_risk"] if code.startswith("spam_risk") else None)
    if known:
        return TikTokRefusal(f"{known}{suffix}", code=code)
    if code in {"invalid_params", "invalid_param"}:
        return TikTokRefusal(f"TikTok refused the request: {detail or code}{suffix}", code=code)
    what = code or f"HTTP {status}"
    return TikTokRefusal(
        f"TikTok refused the request ({what}{': ' + detail if detail else ''}){suffix}", code=code
    )


def oauth_error(status: int, body: Mapping[str, Any], *, wait: float | None = None) -> ProviderError:
    """The Oasis error for a failed token or revoke call (TikTok's flat ``error``/``error_description``)."""
    code = str(body.get("error") or "")
    description = " ".join(str(body.get("error_description") or "").split())
    log_id = str(body.get("log_id") or "")
    suffix = f" (TikTok log id {log_id})" if log_id else ""
    if (
        status == 429
        or status >= 500
        or code in {"rate_limit_exceeded", "server_error", "temporarily_unavailable"}
    ):
        return RetryableProviderError(
            f"TikTok's sign-in service failed for a moment ({code or status}): Oasis will try again{suffix}",
            provider=PROVIDER_ID,
            retry_after=wait if wait is not None else (RATE_LIMIT_WINDOW_S if status == 429 else None),
        )
    if code in {"invalid_client", "unauthorized_client"}:
        return ProviderError(
            "TikTok refused the app's client key or secret: check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET"
            f"{suffix}",
            provider=PROVIDER_ID,
        )
    return NeedsCredentials(
        f"TikTok refused the sign-in ({code or status}{': ' + description if description else ''}): "
        f"connect the TikTok account again{suffix}",
        provider=PROVIDER_ID,
    )


class TikTokClient:
    """One connection to TikTok: use it as a context manager, one per operation.

    ``timeout`` bounds every API call, ``upload_timeout`` every chunk ``PUT``.
    """

    def __init__(
        self,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        auth_base_url: str = DEFAULT_AUTH_BASE_URL,
        client_key: str | None = None,
        client_secret: str | None = None,
        timeout: float = 30.0,
        upload_timeout: float = 300.0,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.auth_base_url = auth_base_url.rstrip("/")
        self.client_key = client_key
        self.client_secret = client_secret
        self.upload_timeout = upload_timeout
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def __enter__(self) -> TikTokClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # -- OAuth -------------------------------------------------------------------------------------
    def _client_credentials(self) -> dict[str, str]:
        if not self.client_key or not self.client_secret:
            raise NeedsCredentials(
                "TikTok sign-in needs the app's client key and secret: set TIKTOK_CLIENT_KEY and "
                "TIKTOK_CLIENT_SECRET (from the app's page in the TikTok developer portal)",
                provider=PROVIDER_ID,
            )
        return {"client_key": self.client_key, "client_secret": self.client_secret}

    def authorization_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """Login Kit's consent page for :data:`SCOPES`, with an S256 PKCE challenge when given one."""
        if not self.client_key:
            self._client_credentials()
        params = {
            "client_key": self.client_key or "",
            "scope": ",".join(SCOPES),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if code_challenge:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self.auth_base_url}{AUTHORIZE_PATH}?{urlencode(params)}"

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``POST /v2/oauth/token/`` with ``form`` plus the client credentials; the token answer."""
        response = self._send(
            "POST", self.api_base_url + TOKEN_PATH, data={**self._client_credentials(), **form}
        )
        body = _json(response)
        if response.status_code >= 400 or body.get("error") or not body.get("access_token"):
            raise oauth_error(response.status_code, body, wait=retry_after(response.headers))
        return body

    def revoke(self, token: str) -> None:
        """``POST /v2/oauth/revoke/``: TikTok forgets ``token``; a token it no longer knows counts as revoked."""
        response = self._send(
            "POST", self.api_base_url + REVOKE_PATH, data={**self._client_credentials(), "token": token}
        )
        body = _json(response)
        error = body.get("error")
        if isinstance(error, dict):  # the v2 API's shape, which some deployments answer with
            code = str(error.get("code") or "ok")
            if code in {"ok", "access_token_invalid"}:
                return
            raise api_error(
                response.status_code, code, str(error.get("message") or ""), str(error.get("log_id") or "")
            )
        if response.status_code >= 400 or error:
            if error in {"invalid_grant", "invalid_token", "access_token_invalid"}:
                return
            raise oauth_error(response.status_code, body, wait=retry_after(response.headers))

    # -- the v2 API --------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One v2 API call with ``token``; its ``data``, or the Oasis error for its ``error``."""
        response = self._send(
            method,
            self.api_base_url + path,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"},
            json=dict(body) if body is not None else None,
            params=dict(params) if params else None,
        )
        answer = _json(response)
        error = _error_object(answer)
        code = str(error.get("code") or ("ok" if response.status_code < 400 else ""))
        if response.status_code >= 400 or code != "ok":
            raise api_error(
                response.status_code,
                code,
                str(error.get("message") or ""),
                str(error.get("log_id") or ""),
                wait=retry_after(response.headers),
            )
        data = answer.get("data")
        return data if isinstance(data, dict) else {}

    def put_chunk(self, upload_url: str, data: bytes, content_range: str, content_type: str) -> int:
        """``PUT`` one chunk to the upload URL (no token: the URL carries its own); the HTTP status."""
        response = self._send(
            "PUT",
            upload_url,
            content=data,
            headers={"Content-Type": content_type, "Content-Range": content_range},
            timeout=self.upload_timeout,
        )
        if response.status_code in _UPLOAD_OK:
            return response.status_code
        answer = _json(response)
        error = _error_object(answer)
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
        if response.status_code in {403, 404}:
            raise UploadLinkExpired(
                "TikTok's upload link expired or is unknown: Oasis will start the upload again",
                provider=PROVIDER_ID,
            )
        if response.status_code in {400, 416} or code == "invalid_file_upload":
            raise ProviderError(
                f"{_MESSAGES['invalid_file_upload']} ({content_range}: {message or response.status_code})",
                provider=PROVIDER_ID,
            )
        raise api_error(response.status_code, code, message, wait=retry_after(response.headers))

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RetryableProviderError(
                f"TikTok did not answer within {time.monotonic() - started:.0f} s: Oasis will try again",
                provider=PROVIDER_ID,
            ) from None
        except httpx.TransportError as exc:
            raise RetryableProviderError(
                f"Could not reach TikTok ({type(exc).__name__}): Oasis will try again", provider=PROVIDER_ID
            ) from None


def _error_object(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The v2 API's ``error`` object of an answer, or ``{}``."""
    error = answer.get("error")
    return error if isinstance(error, dict) else {}


def _json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of an answer; ``{}`` for an empty body or an unreadable failure."""
    try:
        answer = response.json() if response.content.strip() else {}
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        return answer
    if response.status_code >= 400:
        return {}
    raise ProviderError(
        f"TikTok answered HTTP {response.status_code} with a body Oasis cannot read", provider=PROVIDER_ID
    )
