"""The ``tiktok`` publisher: Direct Post of a video file through TikTok's Content Posting API.

One publish is: refresh the token if it expires within five minutes; check
the video against TikTok's limits; ask for the creator info (privacy options,
disabled interactions, longest video allowed); init a FILE_UPLOAD, hand the
``publish_id`` to ``on_platform_id`` at once; ``PUT`` the chunks in order
(each retried a few times after a network failure or a 5xx); poll the status
until ``PUBLISH_COMPLETE`` or ``FAILED``.

Settings (strings, all optional): ``client_key``, ``client_secret`` (the
TikTok app's, needed to connect accounts and refresh tokens),
``api_base_url``, ``auth_base_url``, ``timeout`` (seconds per API call, 30),
``upload_timeout`` (seconds per chunk, 300), ``chunk_size`` (bytes, 10 MiB),
``upload_retries`` (tries after a chunk fails, 3), ``retry_backoff`` (first
wait between them, 1 s, doubling), ``poll_interval`` (seconds between status
checks, 5) and ``poll_timeout`` (seconds to wait for TikTok to finish, 300;
after it the post is still processing, which is retryable: the next attempt
carries the ``publish_id`` and goes on polling).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from attrs import frozen

from oasis_core.domain.publishing import PostingRules, PublishRequest, PublishResult, SocialAccount
from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.tiktok import limits, options
from oasis_plugins.tiktok.client import (
    CREATOR_INFO_PATH,
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    PROVIDER_ID,
    STATUS_PATH,
    USER_INFO_PATH,
    VIDEO_INIT_PATH,
    TikTokClient,
    TikTokRefusal,
    TokenRejected,
    UploadLinkExpired,
    fail_reason_message,
)

REFRESH_MARGIN = timedelta(minutes=5)
"""A token expiring sooner than this is refreshed before a publish."""

MAX_INLINE_WAIT_S = 30.0
"""The longest wait between two tries of a chunk; a longer one is left to the caller's retry."""

PRIVACY_LEVELS: dict[str, tuple[str, ...]] = {
    "public": ("PUBLIC_TO_EVERYONE",),
    "unlisted": ("MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR"),
    "private": ("SELF_ONLY",),
}
"""Oasis's privacy → TikTok's ``privacy_level`` options, best first (TikTok has no "unlisted":
the nearest is friends, then followers)."""

DONE_STATUSES = frozenset({"PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"})
USER_FIELDS = "open_id,union_id,avatar_url,display_name"


@frozen
class CreatorInfo:
    """What ``creator_info/query`` says of the account, for this post."""

    username: str | None
    nickname: str | None
    privacy_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_duration: float | None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CreatorInfo:
        """Read the ``data`` of the creator info answer."""
        longest = data.get("max_video_post_duration_sec")
        return cls(
            username=data.get("creator_username") or None,
            nickname=data.get("creator_nickname") or None,
            privacy_options=tuple(str(option) for option in data.get("privacy_level_options") or ()),
            comment_disabled=bool(data.get("comment_disabled")),
            duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
            max_duration=float(longest) if isinstance(longest, int | float) and longest > 0 else None,
        )

    def rules(self) -> PostingRules:
        """The creator info as the :class:`PostingRules` a post's options are checked against."""
        return PostingRules(
            platform="tiktok",
            username=self.username,
            nickname=self.nickname,
            privacy_options=self.privacy_options,
            comment_disabled=self.comment_disabled,
            duet_disabled=self.duet_disabled,
            stitch_disabled=self.stitch_disabled,
            max_duration_seconds=self.max_duration,
            limits={"caption_chars": limits.MAX_CAPTION_CHARS},
        )


def privacy_level(privacy: str, options: tuple[str, ...]) -> str:
    """TikTok's ``privacy_level`` for Oasis's ``privacy`` among the creator's ``options``.

    ``privacy`` is ``public``, ``unlisted`` or ``private``, or one of TikTok's
    own levels. Raise :class:`ProviderError` when the account offers none of them.
    """
    wanted = PRIVACY_LEVELS.get(privacy.lower(), (privacy.upper(),))
    for level in wanted:
        if level in options:
            return level
    allowed = ", ".join(_describe_level(option) for option in options) or "none"
    hint = (
        " (an app TikTok has not audited yet can only post privately: choose private)"
        if options == ("SELF_ONLY",)
        else ""
    )
    raise ProviderError(
        f"This TikTok account cannot post with privacy {privacy!r}; it allows: {allowed}{hint}",
        provider=PROVIDER_ID,
    )


def _describe_level(level: str) -> str:
    for name, levels in PRIVACY_LEVELS.items():
        if level == levels[0]:
            return f"{name} ({level})"
    return level


def _seconds(value: object) -> timedelta | None:
    return timedelta(seconds=float(value)) if isinstance(value, int | float) and value > 0 else None


class TikTokPublisher:
    """Posts videos to TikTok (Content Posting API, Direct Post) for accounts connected with Login Kit."""

    id: ClassVar[str] = "tiktok"
    name: ClassVar[str] = "TikTok"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    platform: ClassVar[str] = "tiktok"
    uses_pkce: ClassVar[bool] = True
    settings_env: ClassVar[dict[str, str]] = {
        "client_key": "TIKTOK_CLIENT_KEY",
        "client_secret": "TIKTOK_CLIENT_SECRET",
        "api_base_url": "TIKTOK_API_BASE_URL",
        "auth_base_url": "TIKTOK_AUTH_BASE_URL",
    }

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.timeout = self.config.number("timeout", 30.0, minimum=0.001)
        self.upload_timeout = self.config.number("upload_timeout", 300.0, minimum=0.001)
        self.poll_interval = self.config.number("poll_interval", 5.0, minimum=0.0)
        self.poll_timeout = self.config.number("poll_timeout", 300.0, minimum=0.0)
        self.upload_retries = int(self.config.number("upload_retries", 3, minimum=0))
        self.retry_backoff = self.config.number("retry_backoff", 1.0, minimum=0.0)
        self.chunk_size = int(
            self.config.number("chunk_size", limits.DEFAULT_CHUNK_BYTES, minimum=limits.MIN_CHUNK_BYTES)
        )
        limits.plan_chunks(1, self.chunk_size)  # refuses a chunk size outside TikTok's bounds now

    def _connect(self) -> TikTokClient:
        return TikTokClient(
            api_base_url=self.config.setting("api_base_url", DEFAULT_API_BASE_URL) or DEFAULT_API_BASE_URL,
            auth_base_url=self.config.setting("auth_base_url", DEFAULT_AUTH_BASE_URL)
            or DEFAULT_AUTH_BASE_URL,
            client_key=self.config.setting("client_key"),
            client_secret=self.config.setting("client_secret"),
            timeout=self.timeout,
            upload_timeout=self.upload_timeout,
        )

    def _can_refresh(self, account: SocialAccount) -> bool:
        return bool(
            account.refresh_token
            and self.config.setting("client_key")
            and self.config.setting("client_secret")
        )

    # -- connecting an account ---------------------------------------------------------------------
    def authorization_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """TikTok's consent page asking for ``user.info.basic,video.publish``."""
        with self._connect() as client:
            return client.authorization_url(state, redirect_uri, code_challenge)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> SocialAccount:
        """Trade the callback's code for tokens; name the account after the creator's handle."""
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        with self._connect() as client:
            tokens = client.token(form)
            granted = {scope.strip() for scope in str(tokens.get("scope") or "").split(",") if scope.strip()}
            if granted and "video.publish" not in granted:
                raise NeedsCredentials(
                    "The TikTok account did not allow Oasis to post videos: connect it again and leave "
                    "every permission ticked",
                    provider=PROVIDER_ID,
                )
            account = SocialAccount(
                platform=self.platform,
                username=None,
                access_token=str(tokens["access_token"]),
                refresh_token=tokens.get("refresh_token") or None,
                token_expires_at=_expiry(tokens),
                account_id=tokens.get("open_id") or None,
            )
            user = (
                client.call("GET", USER_INFO_PATH, account.access_token, params={"fields": USER_FIELDS}).get(
                    "user"
                )
                or {}
            )
            account.account_id = user.get("open_id") or account.account_id
            try:  # the handle (for post URLs) is only in the creator info; the display name will do
                handle = client.call("POST", CREATOR_INFO_PATH, account.access_token).get("creator_username")
            except ProviderError:
                handle = None
            account.username = handle or user.get("display_name") or None
            return account

    def refresh(self, account: SocialAccount) -> None:
        """Refresh ``account``'s tokens in place, keeping the newest refresh token TikTok sends."""
        with self._connect() as client:
            self._refresh_with(client, account)

    def _refresh_with(self, client: TikTokClient, account: SocialAccount) -> None:
        if not account.refresh_token:
            raise NeedsCredentials(
                "This TikTok account has no refresh token: connect it again", provider=PROVIDER_ID
            )
        tokens = client.token({"grant_type": "refresh_token", "refresh_token": account.refresh_token})
        account.access_token = str(tokens["access_token"])
        account.refresh_token = tokens.get("refresh_token") or account.refresh_token
        account.token_expires_at = _expiry(tokens)
        account.account_id = account.account_id or tokens.get("open_id") or None

    def revoke(self, account: SocialAccount) -> None:
        """Ask TikTok to forget the account's access (a token it no longer knows counts as revoked)."""
        with self._connect() as client:
            client.revoke(account.access_token)

    # -- a post's options ----------------------------------------------------------------------------
    def posting_rules(self, account: SocialAccount) -> PostingRules:
        """What the creator may post now, read from ``creator_info`` (TikTok asks apps to read it each time
        a post is prepared: privacy options change when the account goes private)."""
        with self._connect() as client:
            session = _Session(self, client, account)
            session.refresh_if_expiring()
            return CreatorInfo.from_data(session.call("POST", CREATOR_INFO_PATH)).rules()

    def check_options(
        self,
        chosen: Mapping[str, Any],
        rules: PostingRules,
        request: PublishRequest,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """A post's TikTok options, checked against ``rules`` (see :mod:`oasis_plugins.tiktok.options`)."""
        return options.check(chosen, rules, request, duration)

    # -- publishing --------------------------------------------------------------------------------
    def check(self, request: PublishRequest) -> None:
        """Refuse, before any upload, a video or caption outside TikTok's limits (see :mod:`.limits`)."""
        limits.check(request)

    def publish(
        self,
        request: PublishRequest,
        account: SocialAccount,
        *,
        on_platform_id: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Post ``request`` to ``account`` once; with ``request.platform_id``, finish that post instead."""
        with self._connect() as client:
            session = _Session(self, client, account)
            session.refresh_if_expiring()
            if request.platform_id:
                resumed = self._resume(session, request)
                if resumed is not None:
                    return resumed
            facts = limits.check(request)
            creator = CreatorInfo.from_data(session.call("POST", CREATOR_INFO_PATH))
            level = privacy_level(
                request.options.get("privacy_level") or request.privacy, creator.privacy_options
            )
            if creator.max_duration is not None and facts.duration > creator.max_duration:
                raise ProviderError(
                    f"This TikTok account may post videos of up to {creator.max_duration:g} s; "
                    f"{request.video_path.name} lasts {facts.duration:.1f} s: shorten it",
                    provider=PROVIDER_ID,
                )
            plan = limits.plan_chunks(facts.size, self.chunk_size)
            post_info = options.post_info(request, creator.rules(), level)
            data = session.call(
                "POST", VIDEO_INIT_PATH, body={"post_info": post_info, "source_info": plan.source_info()}
            )
            publish_id, upload_url = data.get("publish_id"), data.get("upload_url")
            if not publish_id or not upload_url:
                raise ProviderError(
                    "TikTok accepted the post but sent no publish id or upload link: try again",
                    provider=PROVIDER_ID,
                )
            if on_platform_id is not None:
                on_platform_id(str(publish_id))
            self._upload(client, request.video_path, str(upload_url), plan, facts.content_type)
            return self._wait(session, str(publish_id), creator.username or account.username)

    def lookup(self, platform_id: str, account: SocialAccount) -> PublishResult | None:
        """The post with that ``publish_id`` if TikTok has published it, else ``None``."""
        with self._connect() as client:
            data = self._status(_Session(self, client, account), platform_id)
        if data is None or data.get("status") not in DONE_STATUSES:
            return None
        return _result(platform_id, data, account.username)

    def _status(self, session: _Session, publish_id: str) -> dict[str, Any] | None:
        """The status of ``publish_id``, or ``None`` when TikTok does not know it."""
        try:
            return session.call("POST", STATUS_PATH, body={"publish_id": publish_id})
        except TikTokRefusal as exc:
            if exc.code in {"invalid_publish_id", "publish_id_not_found"}:
                return None
            raise

    def _resume(self, session: _Session, request: PublishRequest) -> PublishResult | None:
        """Finish the earlier attempt's post; ``None`` when its upload never completed (start over)."""
        publish_id = str(request.platform_id)
        data = self._status(session, publish_id)
        if data is None:
            return None
        status = data.get("status")
        if status in DONE_STATUSES:
            return _result(publish_id, data, session.account.username)
        uploaded = data.get("uploaded_bytes")
        size = request.video_path.stat().st_size if request.video_path.is_file() else None
        known = isinstance(uploaded, int) and size is not None
        complete = isinstance(uploaded, int) and size is not None and uploaded >= size
        if status == "PROCESSING_UPLOAD" and not complete:
            return None  # TikTok still waits for bytes nobody is sending any more
        if status != "PROCESSING_DOWNLOAD" and known and not complete:
            return None  # FAILED or unknown, and the upload never completed: nothing was posted
        if status == "FAILED":
            raise ProviderError(fail_reason_message(data.get("fail_reason")), provider=PROVIDER_ID)
        return self._wait(session, publish_id, session.account.username, first=data)

    def _upload(
        self, client: TikTokClient, path: Path, upload_url: str, plan: limits.ChunkPlan, content_type: str
    ) -> None:
        with path.open("rb") as stream:
            for chunk in plan.chunks:
                stream.seek(chunk.first)
                data = stream.read(chunk.size)
                if len(data) != chunk.size:
                    raise ProviderError(
                        f"{path.name} changed while it was being uploaded: try again", provider=PROVIDER_ID
                    )
                self._put(client, upload_url, data, chunk, content_type)

    def _put(
        self, client: TikTokClient, upload_url: str, data: bytes, chunk: limits.Chunk, content_type: str
    ) -> None:
        """Send one chunk, trying again after a network failure, a 5xx or a 429."""
        for attempt in range(self.upload_retries + 1):
            try:
                client.put_chunk(upload_url, data, chunk.content_range, content_type)
                return
            except UploadLinkExpired:
                raise
            except RetryableProviderError as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.retry_backoff * 2**attempt
                if attempt == self.upload_retries or wait > MAX_INLINE_WAIT_S:
                    raise
                time.sleep(wait)

    def _wait(
        self, session: _Session, publish_id: str, username: str | None, *, first: dict[str, Any] | None = None
    ) -> PublishResult:
        """Poll the status of ``publish_id`` until TikTok has published it or given up."""
        deadline = time.monotonic() + self.poll_timeout
        data = first
        while True:
            if data is None:
                data = session.call("POST", STATUS_PATH, body={"publish_id": publish_id})
            status = data.get("status")
            if status in DONE_STATUSES:
                return _result(publish_id, data, username)
            if status == "FAILED":
                raise ProviderError(fail_reason_message(data.get("fail_reason")), provider=PROVIDER_ID)
            if time.monotonic() + self.poll_interval > deadline:
                raise RetryableProviderError(
                    f"TikTok is still processing the video ({status}): Oasis will check on it again",
                    provider=PROVIDER_ID,
                    retry_after=max(self.poll_interval, 30.0),
                )
            time.sleep(self.poll_interval)
            data = None


class _Session:
    """One operation's connection and account: API calls that refresh the token once after a 401."""

    def __init__(self, publisher: TikTokPublisher, client: TikTokClient, account: SocialAccount) -> None:
        self.publisher = publisher
        self.client = client
        self.account = account
        self.refreshed = False

    def refresh_if_expiring(self) -> None:
        """Refresh the token first when it expires within :data:`REFRESH_MARGIN`."""
        expires = self.account.token_expires_at
        if expires is None:
            return
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        if expires - now > REFRESH_MARGIN:
            return
        if not self.publisher._can_refresh(self.account):
            if expires > now:
                return  # still good for a few minutes, and nothing can refresh it anyway
            raise NeedsCredentials(
                "This TikTok account's access token has expired and cannot be refreshed: connect the "
                "account again or paste a new token",
                provider=PROVIDER_ID,
            )
        self.publisher._refresh_with(self.client, self.account)
        self.refreshed = True

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A v2 API call with the account's token; after a 401, refresh the token and call once more."""
        try:
            return self.client.call(method, path, self.account.access_token, body=body, params=params)
        except TokenRejected:
            if self.refreshed or not self.publisher._can_refresh(self.account):
                raise
        self.publisher._refresh_with(self.client, self.account)
        self.refreshed = True
        return self.client.call(method, path, self.account.access_token, body=body, params=params)


def _expiry(tokens: Mapping[str, Any]) -> datetime | None:
    lifetime = _seconds(tokens.get("expires_in"))
    return datetime.now(UTC) + lifetime if lifetime is not None else None


def _result(publish_id: str, data: Mapping[str, Any], username: str | None) -> PublishResult:
    """The post, with its public URL when TikTok gave a post id and the creator's handle is known."""
    post_ids = data.get("publicaly_available_post_id") or ()  # sic: TikTok's spelling
    if not isinstance(post_ids, list | tuple):
        post_ids = (post_ids,)
    handle = (username or "").lstrip("@").strip()
    url = f"https://www.tiktok.com/@{quote(handle)}/video/{post_ids[0]}" if post_ids and handle else None
    return PublishResult(publish_id, url)
