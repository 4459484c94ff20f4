"""The ``youtube`` publisher: uploads a Short with the YouTube Data API v3, through google-api-python-client.

Settings (strings; the environment variable that fills each is in
:attr:`YouTubePublisher.settings_env`):

``client_id`` / ``client_secret``
    The Google Cloud OAuth client (type *Web application*), for the code
    exchange and refreshes.
``api_base_url``
    Where the Data API lives (default: Google's own); tests point it at a fake.
``token_url`` / ``revoke_url`` / ``auth_url``
    Google's OAuth endpoints (defaults in :mod:`oasis_plugins.youtube.oauth`).
``ca_certs``
    A CA bundle (PEM file) to trust for every HTTPS call instead of the
    default ones: a TLS-inspecting proxy, or a test server.
``chunk_size``
    Bytes sent per upload request, a multiple of 256 KiB (default 8 MiB).
``max_retries``
    How many times one step of an upload (a chunk, the session start, a
    status query) is retried after a 5xx answer, a timeout or a lost
    connection, with exponential backoff (default 5).
``retry_backoff``
    The first wait between those retries, in seconds; it doubles each time,
    up to a minute (default 1).
``timeout``
    Seconds one HTTP request may take (default 120).
``category_id``
    The YouTube video category (default ``"22"``, People & Blogs).
``notify_subscribers``
    ``true``/``false``: whether subscribers are told about the upload (default true).

How an upload avoids becoming two videos
----------------------------------------
YouTube's resumable upload creates the video only when the last byte arrives,
and its id comes only with that final answer. The upload *session* exists
earlier, so ``on_platform_id`` is called twice: with ``upload:<session URI>``
the moment Google opens the session (before any byte is sent), and with the
video id the moment it is known. The caller stores each, so a retry on any
machine gets the session back as ``PublishRequest.platform_id``. So:

* Within one call, an interrupted chunk (5xx, timeout, lost connection) is
  not simply sent again: the library first asks the session how far it got
  (``PUT`` with ``Content-Range: bytes */size``) and resumes from there, or
  gets the finished video if the last chunk had in fact arrived. A retry of
  a post whose ``platform_id`` is known looks the video up instead of
  uploading.
* Across calls (the worker gave up, or died, between the last chunk and its
  answer), a retry whose ``platform_id`` is ``upload:<session URI>`` asks
  that session first and either collects the finished video, resumes, or
  (the session expired or was never finished) starts afresh. For callers
  that do not store the session, it is also written to a small journal keyed
  by the account, the file's SHA-256 and the metadata, in the provider's
  ``cache_dir`` when it has one, otherwise in this process's memory. Entries
  older than six days are ignored: Google keeps a session for about a week.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from oasis_core.domain.publishing import PostingRules, PublishRequest, PublishResult, SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.youtube import limits, oauth, options

PROVIDER_ID = oauth.PROVIDER_ID

CHUNK_QUANTUM = 256 * 1024
"""Every chunk but the last must be a multiple of 256 KiB."""
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF = 1.0
MAX_BACKOFF = 60.0
DEFAULT_TIMEOUT = 120.0
DEFAULT_CATEGORY_ID = "22"
REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh the access token when it expires within this much time."""
SESSION_LIFETIME = timedelta(days=6)
"""How long a journalled upload session is trusted (Google keeps one for about a week)."""
QUOTA_RESET_ZONE = "America/Los_Angeles"
"""The Data API's daily quota resets at midnight Pacific time."""

_RATE_LIMITED = {"rateLimitExceeded", "userRateLimitExceeded"}
_METADATA_ERRORS = {
    "invalidTitle": "the title was refused (empty, too long, or with < or >)",
    "invalidDescription": "the description was refused (too long, or with < or >)",
    "invalidTags": "the tags were refused (too long in all, or with < or >)",
    "invalidCategoryId": "the category id was refused: set a valid category_id (22 is People & Blogs)",
    "invalidVideoMetadata": "the video's metadata was refused",
    "invalidPublishAt": "the scheduled publishing time was refused",
    "mediaBodyRequired": "the upload carried no video",
    "defaultLanguageNotSet": "a default language is required with localized metadata",
}


def shorts_url(video_id: str) -> str:
    """The public address of a Short."""
    return f"https://youtube.com/shorts/{video_id}"


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds from ``now`` until the next midnight Pacific time, when the daily quota resets."""
    try:
        zone: Any = ZoneInfo(QUOTA_RESET_ZONE)
    except ZoneInfoNotFoundError:  # no tz database: Pacific standard time is close enough
        zone = UTC
        now = (now or datetime.now(UTC)) - timedelta(hours=8)
    local = (now or datetime.now(UTC)).astimezone(zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - local).total_seconds())


def video_resource(request: PublishRequest, *, category_id: str = DEFAULT_CATEGORY_ID) -> dict[str, Any]:
    """The ``video`` resource sent with the upload: cleaned snippet and the status flags."""
    title = limits.clean_title(request.title)
    if not title:
        raise InvalidInput("A YouTube video needs a title: the title is empty", field="title")
    if request.privacy not in limits.PRIVACY_STATUSES:
        raise InvalidInput(
            f"YouTube has no privacy setting {request.privacy!r}",
            field="privacy",
            choices=limits.PRIVACY_STATUSES,
        )
    snippet: dict[str, Any] = {
        "title": title,
        "description": limits.clean_description(request.description),
        "categoryId": category_id,
    }
    tags = limits.clean_tags(request.tags)
    if tags:
        snippet["tags"] = tags
    return {
        "snippet": snippet,
        "status": {
            "privacyStatus": request.privacy,
            "selfDeclaredMadeForKids": bool(request.made_for_kids),
            "containsSyntheticMedia": bool(request.synthetic_media),
        },
    }


def error_reason(exc: HttpError) -> tuple[str, str]:
    """The ``reason`` code (``quotaExceeded`` …) and message of a Data API error answer."""
    try:
        data = json.loads(exc.content.decode("utf-8", errors="replace"))
    except ValueError:
        return "", exc.content.decode("utf-8", errors="replace")[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", ""
    reason = ""
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = str(errors[0].get("reason") or "")
    return reason, str(error.get("message") or "")


def translate_error(exc: HttpError) -> ProviderError:
    """A Data API error answer as an Oasis error whose message says what to do."""
    status = exc.resp.status
    reason, message = error_reason(exc)
    detail = f" ({message})" if message else ""
    if reason == "quotaExceeded":
        return RetryableProviderError(
            "The YouTube Data API daily quota of this Google Cloud project is used up; it resets at "
            "midnight Pacific time, and the post will be tried again then (ask Google for more quota "
            "through the YouTube API quota extension form to post more each day)",
            provider=PROVIDER_ID,
            retry_after=seconds_until_quota_reset(),
        )
    if reason in _RATE_LIMITED or status == 429:
        retry_after = _retry_after(exc)
        return RetryableProviderError(
            f"YouTube is rate-limiting this project's requests{detail}; the post will be tried again shortly",
            provider=PROVIDER_ID,
            retry_after=retry_after if retry_after is not None else 60.0,
        )
    if reason == "uploadLimitExceeded":
        return ProviderError(
            "This YouTube channel has reached the number of videos YouTube lets it upload for now; "
            "wait a day (or upload fewer videos at a time) and schedule the post again",
            provider=PROVIDER_ID,
        )
    if reason == "youtubeSignupRequired":
        return NeedsCredentials(
            "The connected Google account has no YouTube channel: create one on youtube.com, then "
            "reconnect the account in Oasis",
            provider=PROVIDER_ID,
        )
    if status == 401 or reason in {"insufficientPermissions", "authError"}:
        return NeedsCredentials(
            f"YouTube refused the account's authorization{detail}; reconnect the YouTube account in Oasis "
            "and grant every permission it asks for",
            provider=PROVIDER_ID,
        )
    if reason in _METADATA_ERRORS:
        return ProviderError(
            f"YouTube refused the upload: {_METADATA_ERRORS[reason]}{detail}", provider=PROVIDER_ID
        )
    if status == 403:
        return ProviderError(
            f"YouTube refused the upload{detail}: the account may not upload to this channel (it may be "
            "suspended, or the Google Cloud project may not have the YouTube Data API v3 enabled)",
            provider=PROVIDER_ID,
        )
    if status >= 500:
        return RetryableProviderError(
            f"YouTube answered HTTP {status}{detail}; the post will be tried again", provider=PROVIDER_ID
        )
    return ProviderError(f"YouTube refused the request (HTTP {status}){detail}", provider=PROVIDER_ID)


def untrusted_certificate(exc: ssl.SSLCertVerificationError) -> ProviderError:
    """The error for a TLS certificate this machine does not trust (a TLS-inspecting proxy, say)."""
    return ProviderError(
        f"YouTube's TLS certificate was not trusted ({exc.reason}); set ca_certs "
        "(YOUTUBE_CA_CERTS) to the CA bundle of any TLS-inspecting proxy",
        provider=PROVIDER_ID,
    )


def _retry_after(exc: HttpError) -> float | None:
    raw = exc.resp.get("retry-after")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


UPLOAD_KEPT_FAILING = "The upload to YouTube kept failing ({error}); the next attempt will resume the same upload where it stopped"
API_UNREACHABLE = "Could not reach the YouTube Data API ({error})"


def _is_transient(exc: HttpError) -> bool:
    return exc.resp.status >= 500 or exc.resp.status == 408


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class UploadJournal:
    """Upload session URIs of unfinished uploads, by post fingerprint (see the module docs).

    With a folder, one small JSON file per session, written atomically; without
    one, a dictionary shared by this process.
    """

    _memory: ClassVar[dict[str, tuple[str, float]]] = {}
    _memory_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, key: str) -> str | None:
        """The session URI saved under ``key``, if it is recent enough to be alive."""
        entry = self._read(key)
        if entry is None:
            return None
        uri, created = entry
        if time.time() - created > SESSION_LIFETIME.total_seconds():
            self.forget(key)
            return None
        return uri

    def put(self, key: str, uri: str) -> None:
        """Save the session URI ``uri`` under ``key``."""
        created = time.time()
        if self.folder is None:
            with self._memory_lock:
                self._memory[key] = (uri, created)
            return
        target = self.folder / f"{key}.json"
        temporary = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps({"uri": uri, "created": created}))
            temporary.replace(target)
        except OSError:  # a journal that cannot be written must not stop the upload itself
            with self._memory_lock:
                self._memory[key] = (uri, created)

    def forget(self, key: str) -> None:
        """Drop the entry under ``key`` (the upload finished, or its session is gone)."""
        with self._memory_lock:
            self._memory.pop(key, None)
        if self.folder is not None:
            with contextlib.suppress(OSError):
                (self.folder / f"{key}.json").unlink()

    def _read(self, key: str) -> tuple[str, float] | None:
        if self.folder is not None:
            try:
                data = json.loads((self.folder / f"{key}.json").read_text())
                return str(data["uri"]), float(data["created"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        with self._memory_lock:
            return self._memory.get(key)


UPLOAD_PREFIX = "upload:"
"""Marks a platform id that is an upload session's URI, not yet a video id."""


class _SessionWatcher:
    """Wraps the authorized HTTP object to see the upload session's URI the moment Google creates it."""

    def __init__(self, http: Any, on_session: Callable[[str], None]) -> None:
        self._http = http
        self._on_session = on_session

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> tuple[Any, bytes]:
        resp, content = self._http.request(uri, method, *args, **kwargs)
        if method == "POST" and resp.status == 200 and "location" in resp:
            self._on_session(resp["location"])
        return resp, content


class YouTubePublisher:
    """Publishes Shorts to a YouTube channel with the Data API v3 (see the module docs)."""

    id: ClassVar[str] = "youtube"
    name: ClassVar[str] = "YouTube"
    platform: ClassVar[str] = "youtube"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    uses_pkce: ClassVar[bool] = True
    settings_env: ClassVar[dict[str, str]] = {
        "client_id": "YOUTUBE_CLIENT_ID",
        "client_secret": "YOUTUBE_CLIENT_SECRET",
        "api_base_url": "YOUTUBE_API_BASE_URL",
        "token_url": "GOOGLE_TOKEN_URL",
        "revoke_url": "GOOGLE_REVOKE_URL",
        "auth_url": "GOOGLE_AUTH_URL",
        "ca_certs": "YOUTUBE_CA_CERTS",
        "chunk_size": "OASIS_YOUTUBE_CHUNK_SIZE",
        "max_retries": "OASIS_YOUTUBE_MAX_RETRIES",
        "retry_backoff": "OASIS_YOUTUBE_RETRY_BACKOFF",
        "timeout": "OASIS_YOUTUBE_TIMEOUT",
        "category_id": "OASIS_YOUTUBE_CATEGORY_ID",
        "notify_subscribers": "OASIS_YOUTUBE_NOTIFY_SUBSCRIBERS",
    }

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.api_base_url = self.config.setting("api_base_url")
        self.ca_certs = self.config.setting("ca_certs")
        self.chunk_size = self.config.whole("chunk_size", DEFAULT_CHUNK_SIZE, minimum=CHUNK_QUANTUM)
        if self.chunk_size % CHUNK_QUANTUM:
            raise InvalidInput(
                f"The YouTube setting 'chunk_size' must be a multiple of 262144 (256 KiB), not {self.chunk_size}",
                field="chunk_size",
            )
        self.max_retries = self.config.whole("max_retries", DEFAULT_MAX_RETRIES, minimum=0)
        self.retry_backoff = self.config.number("retry_backoff", DEFAULT_RETRY_BACKOFF, minimum=0.0)
        self.timeout = self.config.number("timeout", DEFAULT_TIMEOUT, minimum=0.001)
        self.category_id = self.config.setting("category_id", DEFAULT_CATEGORY_ID) or DEFAULT_CATEGORY_ID
        notify = (self.config.setting("notify_subscribers", "true") or "true").strip().lower()
        self.notify_subscribers = notify not in {"false", "0", "no", "off"}
        self.tokens = oauth.GoogleTokens(
            client_id=self.config.setting("client_id"),
            client_secret=self.config.setting("client_secret"),
            token_url=self.config.setting("token_url", oauth.TOKEN_URL) or oauth.TOKEN_URL,
            revoke_url=self.config.setting("revoke_url", oauth.REVOKE_URL) or oauth.REVOKE_URL,
            timeout=min(self.timeout, 30.0),
            verify=self._ssl_context(),
        )
        cache = self.config.cache_dir
        self.journal = UploadJournal(Path(cache) / "youtube-upload-sessions" if cache else None)
        self._sleep: Callable[[float], None] = time.sleep

    # -- settings -----------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.ca_certs) if self.ca_certs else True

    # -- OAuth (the port's optional members) ----------------------------------
    def authorization_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """Google's consent URL for uploading to, and reading, the user's channel (offline access)."""
        client_id = self.config.setting("client_id")
        if not client_id:  # the server is not set up for it: a 400 that says so, not a provider failure
            raise InvalidInput(
                "This server has no YouTube OAuth client: its admin must set YOUTUBE_CLIENT_ID and "
                "YOUTUBE_CLIENT_SECRET; meanwhile you can paste an access token",
                field="platform",
            )
        return oauth.authorization_url(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            auth_url=self.config.setting("auth_url", oauth.AUTH_URL) or oauth.AUTH_URL,
            code_challenge=code_challenge,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> SocialAccount:
        """Trade the callback's code for tokens and read the channel's id and title."""
        answer = self.tokens.exchange(code, redirect_uri, code_verifier)
        account = SocialAccount(
            platform=self.platform,
            username=None,
            access_token=str(answer["access_token"]),
            refresh_token=answer.get("refresh_token"),
            token_expires_at=oauth.expiry_from(answer),
        )
        channels = self._call(account, lambda service: service.channels().list(part="snippet", mine=True))
        items = channels.get("items") or []
        if not items:
            raise ProviderError(
                "The Google account has no YouTube channel: create one on youtube.com, then connect again",
                provider=PROVIDER_ID,
            )
        channel = items[0]
        account.account_id = channel.get("id")
        account.username = (channel.get("snippet") or {}).get("title") or account.account_id
        return account

    def refresh(self, account: SocialAccount) -> None:
        """Renew the access token in place (keeps the refresh token unless Google sends a new one)."""
        self.tokens.refresh(account)

    def revoke(self, account: SocialAccount) -> None:
        """Revoke the grant at Google (best effort: failures are ignored)."""
        token = account.refresh_token or account.access_token
        if token:
            self.tokens.revoke(token)

    def check(self, request: PublishRequest) -> None:
        """Refuse a video that is not a valid Short, before any upload (see :func:`limits.check`)."""
        limits.check(self._resolve(request)[0])

    def posting_rules(self, account: SocialAccount) -> PostingRules:
        """YouTube's fixed choices (no call is made): see :func:`options.posting_rules`."""
        return options.posting_rules(account)

    def check_options(
        self,
        chosen: Mapping[str, Any],
        rules: PostingRules,
        request: PublishRequest,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """A post's YouTube options, checked (see :mod:`oasis_plugins.youtube.options`)."""
        return options.check(chosen, rules, request, duration)

    def _resolve(self, request: PublishRequest) -> tuple[PublishRequest, str, bool]:
        return options.resolve(request, category_id=self.category_id, notify=self.notify_subscribers)

    # -- the port -----------------------------------------------------------
    def publish(
        self,
        request: PublishRequest,
        account: SocialAccount,
        *,
        on_platform_id: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Upload ``request.video_path`` as a Short (resumable, chunked) and return its id and URL."""
        session: str | None = None
        if request.platform_id and request.platform_id.startswith(UPLOAD_PREFIX):
            session = request.platform_id[len(UPLOAD_PREFIX) :]
        elif request.platform_id:
            return self._existing(request.platform_id, account)
        path = Path(request.video_path)
        if not path.is_file():
            raise ProviderError(f"The video file {path} does not exist", provider=PROVIDER_ID)
        request, category_id, notify = self._resolve(request)
        body = video_resource(request, category_id=category_id)
        key = self._fingerprint(request, account, body)

        def opened(uri: str) -> None:
            self.journal.put(key, uri)
            if on_platform_id is not None:
                on_platform_id(f"{UPLOAD_PREFIX}{uri}")

        video = self._upload(path, body, account, key, session=session, on_session=opened, notify=notify)
        video_id = str(video.get("id") or "")
        if not video_id:
            raise ProviderError("YouTube finished the upload but sent no video id", provider=PROVIDER_ID)
        if on_platform_id is not None:
            on_platform_id(video_id)
        self.journal.forget(key)
        return PublishResult(video_id, shorts_url(video_id))

    def lookup(self, platform_id: str, account: SocialAccount) -> PublishResult | None:
        """The Short with that id if YouTube has it (uploaded or processed), else ``None``.

        An ``upload:`` id is a session that has not given a video yet: ``None``.
        """
        if platform_id.startswith(UPLOAD_PREFIX):
            return None
        video = self._video(platform_id, account)
        if video is None:
            return None
        status = (video.get("status") or {}).get("uploadStatus")
        if status in {"failed", "rejected", "deleted"}:
            return None
        return PublishResult(platform_id, shorts_url(platform_id))

    # -- publishing -----------------------------------------------------------
    def _existing(self, video_id: str, account: SocialAccount) -> PublishResult:
        """A retry of a post whose video id is known: report that video, never upload another."""
        video = self._video(video_id, account)
        if video is None:
            raise ProviderError(
                f"An earlier attempt uploaded this post as YouTube video {video_id}, which YouTube no longer "
                "has (deleted or removed); Oasis does not upload it again by itself: schedule a new post "
                "to upload it again",
                provider=PROVIDER_ID,
            )
        status = video.get("status") or {}
        upload_status = status.get("uploadStatus")
        if upload_status == "rejected":
            raise ProviderError(
                f"YouTube rejected video {video_id} ({status.get('rejectionReason') or 'no reason given'})",
                provider=PROVIDER_ID,
            )
        if upload_status == "failed":
            raise ProviderError(
                f"YouTube could not process video {video_id} ({status.get('failureReason') or 'no reason given'}); "
                "render it again as an H.264/AAC MP4 and schedule a new post",
                provider=PROVIDER_ID,
            )
        return PublishResult(video_id, shorts_url(video_id))

    def _fingerprint(self, request: PublishRequest, account: SocialAccount, body: dict[str, Any]) -> str:
        digest = hashlib.sha256()
        with Path(request.video_path).open("rb") as stream:
            for block in iter(lambda: stream.read(1024 * 1024), b""):
                digest.update(block)
        who = account.account_id or account.username or ""
        identity = json.dumps([who, digest.hexdigest(), body], sort_keys=True)
        return hashlib.sha256(identity.encode()).hexdigest()[:40]

    def _upload(
        self,
        path: Path,
        body: dict[str, Any],
        account: SocialAccount,
        key: str,
        *,
        session: str | None,
        on_session: Callable[[str], None],
        notify: bool = True,
    ) -> dict[str, Any]:
        self._refresh_if_expiring(account)
        credentials = google.oauth2.credentials.Credentials(token=account.access_token)
        http = self._authorized_http(credentials)
        service = self._service(http)
        media = MediaFileUpload(
            str(path), mimetype=limits.mimetype_for(path), chunksize=self.chunk_size, resumable=True
        )
        size = media.size()
        try:
            insert = service.videos().insert(
                part="snippet,status",
                body=body,
                media_body=media,
                notifySubscribers=notify,
            )
            # After a failed step the library itself asks the session how far it got before sending
            # more (``PUT`` with ``bytes */size``); only a session saved by an earlier call is asked here.
            watcher = _SessionWatcher(http, on_session)
            saved = session or self.journal.get(key)
            if saved:
                insert.resumable_uri = saved
            query_first = saved is not None
            failures = 0
            refreshed = False
            restarted = False
            while True:
                if self._refresh_if_expiring(account):
                    credentials.token = account.access_token
                try:
                    if query_first:
                        done = self._query_session(insert, watcher, size)
                        query_first = False
                        if done is not None:
                            return done
                        continue
                    _progress, response = insert.next_chunk(http=watcher)
                except HttpError as exc:
                    status = exc.resp.status
                    if status == 401 and not refreshed:
                        refreshed = True
                        self.refresh(account)
                        credentials.token = account.access_token
                        continue
                    if status in (404, 410) and insert.resumable_uri and not restarted:
                        # The session is gone (expired, or never finished): nothing was published.
                        restarted = True
                        self.journal.forget(key)
                        insert.resumable_uri = None
                        insert.resumable_progress = 0
                        query_first = False
                        continue
                    failures = self._retry_after(exc, failures, UPLOAD_KEPT_FAILING)
                    continue
                except (OSError, httplib2.HttpLib2Error) as exc:
                    failures = self._retry_after(exc, failures, UPLOAD_KEPT_FAILING)
                    continue
                else:
                    failures = 0
                    if response is not None:
                        return dict(response)
        finally:
            with contextlib.suppress(Exception):
                media.stream().close()

    def _query_session(self, insert: Any, http: _SessionWatcher, size: int) -> dict[str, Any] | None:
        """Ask the upload session how far it got: the finished video, or ``None`` after moving the progress."""
        uri = insert.resumable_uri
        resp, content = http.request(
            uri, "PUT", body=b"", headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"}
        )
        if resp.status in (200, 201):
            return dict(json.loads(content.decode("utf-8")))
        if resp.status == 308:
            received = resp.get("range")
            insert.resumable_progress = int(received.rsplit("-", 1)[1]) + 1 if received else 0
            if "location" in resp:
                insert.resumable_uri = resp["location"]
            return None
        raise HttpError(resp, content, uri=uri)

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(MAX_BACKOFF, self.retry_backoff * 2 ** (attempt - 1)))

    def _retry_after(self, exc: Exception, failures: int, gave_up: str) -> int:
        """After a failed request: back off and return the failures so far, or raise what to report.

        A transient error answer (5xx, 408) or a network failure is retried up to ``max_retries``
        times; an untrusted certificate or any other answer is raised at once. ``gave_up`` is the
        message for a network failure that outlasts the retries (``{error}`` names it).
        """
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise untrusted_certificate(exc) from exc
        if isinstance(exc, HttpError) and not _is_transient(exc):
            raise translate_error(exc) from exc
        if failures >= self.max_retries:
            if isinstance(exc, HttpError):
                raise translate_error(exc) from exc
            error = f"{type(exc).__name__}: {exc}"
            raise RetryableProviderError(gave_up.format(error=error), provider=PROVIDER_ID) from exc
        self._backoff(failures + 1)
        return failures + 1

    def _refresh_if_expiring(self, account: SocialAccount) -> bool:
        """Refresh when the access token is missing (only a refresh token was pasted) or expires soon."""
        if not account.refresh_token:
            return False
        expires = account.token_expires_at
        if account.access_token and (expires is None or _aware(expires) - datetime.now(UTC) > REFRESH_MARGIN):
            return False
        self.refresh(account)
        return True

    # -- plain API calls ------------------------------------------------------
    def _authorized_http(self, credentials: google.oauth2.credentials.Credentials) -> Any:
        transport = httplib2.Http(timeout=self.timeout, ca_certs=self.ca_certs)
        # A resumable upload answers "308 Resume Incomplete", which httplib2 would follow as a redirect
        # (googleapiclient.http.build_http makes the same change).
        transport.redirect_codes = transport.redirect_codes - {308}
        # Oasis refreshes by itself (and writes the new tokens into the account): no refresh in the transport.
        return google_auth_httplib2.AuthorizedHttp(credentials, http=transport, refresh_status_codes=())

    def _service(self, http: Any) -> Any:
        options = {"api_endpoint": self.api_base_url} if self.api_base_url else None
        return build("youtube", "v3", http=http, static_discovery=True, client_options=options, num_retries=0)

    def _video(self, video_id: str, account: SocialAccount) -> dict[str, Any] | None:
        answer = self._call(account, lambda service: service.videos().list(part="status", id=video_id))
        items = answer.get("items") or []
        return dict(items[0]) if items else None

    def _call(self, account: SocialAccount, make: Callable[[Any], Any]) -> dict[str, Any]:
        """Run one ordinary API call, refreshing before an expiry and once after a 401."""
        self._refresh_if_expiring(account)
        refreshed = False
        failures = 0
        while True:
            credentials = google.oauth2.credentials.Credentials(token=account.access_token)
            service = self._service(self._authorized_http(credentials))
            try:
                return dict(make(service).execute(num_retries=0))
            except HttpError as exc:
                if exc.resp.status == 401 and not refreshed and account.refresh_token:
                    refreshed = True
                    self.refresh(account)
                    continue
                failures = self._retry_after(exc, failures, API_UNREACHABLE)
            except (OSError, httplib2.HttpLib2Error) as exc:
                failures = self._retry_after(exc, failures, API_UNREACHABLE)
