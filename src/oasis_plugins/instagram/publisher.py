"""``InstagramPublisher``: posts Reels with instagrapi (Instagram's private mobile API).

How it works:

* :meth:`InstagramPublisher.login` signs in once with a username, a password
  and, when Instagram asks, a two-factor code. It returns a
  :class:`SocialAccount` whose ``session`` holds instagrapi's settings (device
  ids, cookies, authorization). The password is not kept anywhere.
* :meth:`InstagramPublisher.publish` rebuilds the client from that session
  (no new login), checks the video (:meth:`InstagramPublisher.check`), looks
  for a reel it may already have posted, uploads with ``clip_upload`` and
  writes the session back into the account, whatever the outcome. An account
  with no session but a ``sessionid`` cookie pasted as its access token works
  too (what instagrapi's ``login_by_sessionid`` does).
* instagrapi's errors are sorted: a login Instagram wants confirmed, a
  two-factor code, a refused password or an ended session become
  :class:`NeedsCredentials`; Instagram limiting the account, 429s, 5xx and
  network failures :class:`RetryableProviderError` (with ``retry_after``);
  everything else :class:`ProviderError`.

Retry safety: instagrapi's upload is not resumable and Instagram gives no id
before the reel is live, so the platform id (the media pk) is only known
once the reel exists. A retry with ``platform_id`` looks that reel up. A
retry without one (a crash, or a timeout or 5xx after Instagram may already
have taken the reel) first reads the account's newest reels and reuses one
with the same caption posted within ``duplicate_window`` minutes.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import av
import requests
from instagrapi import Client
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_media_v1

from oasis_core.domain.post_options import count_hashtags
from oasis_core.domain.publishing import PostingRules, PublishRequest, PublishResult, SocialAccount
from oasis_core.errors import (
    InvalidInput,
    NeedsCredentials,
    OasisError,
    ProviderError,
    RetryableProviderError,
)
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.instagram import options
from oasis_plugins.instagram.options import MAX_CAPTION, MAX_HASHTAGS

PROVIDER_ID = "instagram"
PLATFORM = "instagram"

# -- what a reel may be ------------------------------------------------------------------------------

MIN_SECONDS = 3.0
"""The shortest reel Instagram accepts."""

MAX_SECONDS = 90.0
"""The longest reel this publisher sends: the Reels limit every account has had since 2022.
Instagram lets some accounts post longer reels from its app, but a longer clip sent
through the private API risks ``VideoTooLongException`` after the whole upload."""

MAX_BYTES = 300 * 1024 * 1024
"""300 MB: the smaller of the two sizes Meta's pages give for a reel (300 MB and 1 GB)."""

ASPECT = 9 / 16
"""Reels are vertical 9:16 (1080×1920 recommended)."""

ASPECT_TOLERANCE = 0.02
"""How far (relatively) width/height may be from 9:16: rounding to even sizes, nothing more."""

MAX_WIDTH = 1920
MIN_FPS, MAX_FPS = 23.0, 60.0
VIDEO_CODECS = frozenset({"h264", "hevc"})
AUDIO_CODECS = frozenset({"aac"})
MAX_AUDIO_RATE = 48_000
PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p", "nv12"})


# -- waits (seconds) ----------------------------------------------------------------------------------

PLEASE_WAIT_RETRY = 10 * 60
"""After "Please wait a few minutes before you try again"."""

FEEDBACK_RETRY = 6 * 60 * 60
"""After ``feedback_required``: Instagram has blocked the action for a while (hours to days)."""

THROTTLED_RETRY = 15 * 60
"""After a 429 or a ``rate_limit_error`` without a ``Retry-After`` header."""

TRANSIENT_RETRY = 60
"""After a network failure, a timeout or a 5xx."""

# -- settings ------------------------------------------------------------------------------------------

DEFAULT_DELAY_RANGE = (1.0, 3.0)
"""Random pause (seconds) before each private API request, as instagrapi's best practices advise."""

DEFAULT_CONFIGURE_TIMEOUT = 10.0
"""Seconds between the end of the upload and the configure call (Instagram transcodes meanwhile)."""

DEFAULT_DUPLICATE_WINDOW = 60.0
"""Minutes within which a reel with the same caption counts as the one being published."""

RECENT_REELS = 12
"""How many of the account's newest reels the duplicate check reads (one page, as the app does)."""

_NO_SESSIONID = "instagrapi-session"
"""``access_token`` when Instagram answered without a ``sessionid`` (the session is in ``session``)."""

_SESSIONID = re.compile(r"^(?P<user>\d+)(?:%3A|:)\S{20,}$")
"""An Instagram ``sessionid`` cookie: the account's numeric id, then an encoded ``:`` and a secret."""

_TAG_JUNK = re.compile(r"[^\w]", flags=re.UNICODE)
_SPACES = re.compile(r"\s+")


def reel_url(code: str) -> str:
    """The public URL of the reel with shortcode ``code``."""
    return f"https://www.instagram.com/reel/{code}/"


def hashtag(tag: str) -> str:
    """``tag`` as an Instagram hashtag (``"deep work"`` → ``"#deepwork"``), or ``""`` if nothing is left."""
    cleaned = _TAG_JUNK.sub("", tag.strip().lstrip("#"))
    return f"#{cleaned}" if cleaned else ""


def build_caption(request: PublishRequest) -> str:
    """The reel's caption: the title, the description, then the tags as hashtags."""
    tags = " ".join(dict.fromkeys(tag for tag in (hashtag(t) for t in request.tags) if tag))
    parts = (request.title.strip(), request.description.strip(), tags)
    return "\n\n".join(part for part in parts if part)


def reel_caption(request: PublishRequest) -> str:
    """The reel's caption: the post's ``caption`` option when it has one, else :func:`build_caption`."""
    chosen = request.options.get("caption")
    return chosen if isinstance(chosen, str) and chosen.strip() else build_caption(request)


def _same_caption(a: str, b: str) -> bool:
    return _SPACES.sub(" ", a).strip() == _SPACES.sub(" ", b).strip()


def stable_device_ids(username: str) -> dict[str, str]:
    """Device ids derived from the username, so every login for an account comes from one "phone".

    instagrapi's guide: log in again with the same device ids; a new device at every
    login is what makes Instagram suspicious. The ids are sent in clear headers
    anyway, so deriving them is no secret lost.
    """
    seed = hashlib.sha256(f"oasis-instagram-device:{username.strip().lower()}".encode()).digest()

    def derived(label: str) -> str:
        digest = hashlib.sha256(seed + label.encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    android = hashlib.sha256(seed + b"android").hexdigest()[:16]
    return {
        "phone_id": derived("phone"),
        "uuid": derived("uuid"),
        "advertising_id": derived("advertising"),
        "android_device_id": f"android-{android}",
    }


def _saved_settings(account: SocialAccount) -> dict[str, Any]:
    """instagrapi's settings from ``account.session``, or built around a pasted ``sessionid``."""
    if not account.session:
        found = _SESSIONID.match(account.access_token or "")
        if found is None:
            raise NeedsCredentials(
                "This Instagram account has no saved session: connect Instagram again.", provider=PROVIDER_ID
            )
        # A sessionid cookie pasted as the access token (what instagrapi's login_by_sessionid does).
        sessionid, user_id = account.access_token, found["user"]
        return {
            "uuids": stable_device_ids(account.username or user_id),
            "cookies": {"sessionid": sessionid, "ds_user_id": user_id},
            "authorization_data": {
                "ds_user_id": user_id,
                "sessionid": sessionid,
                "should_use_header_over_cookies": True,
            },
        }
    try:
        settings = json.loads(account.session)
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        raise NeedsCredentials(
            "The saved Instagram session cannot be read: connect Instagram again.", provider=PROVIDER_ID
        )
    return settings


# -- reading the video ---------------------------------------------------------------------------------


def _probe(path: Path) -> dict[str, Any]:
    """What PyAV sees in ``path``, or :class:`InvalidInput` when it is not a readable video."""
    try:
        with av.open(str(path)) as container:
            formats = set(container.format.name.split(","))
            if not container.streams.video:
                raise InvalidInput(f"{path.name} has no video track", field="video")
            video = container.streams.video[0]
            seconds = None
            if container.duration is not None:
                seconds = container.duration / av.time_base
            elif video.duration is not None and video.time_base is not None:
                seconds = float(video.duration * video.time_base)
            audio = container.streams.audio[0] if container.streams.audio else None
            return {
                "formats": formats,
                "codec": video.codec_context.name,
                "pix_fmt": video.codec_context.pix_fmt or "",
                "width": video.codec_context.width,
                "height": video.codec_context.height,
                "fps": float(video.average_rate) if video.average_rate else None,
                "seconds": seconds,
                "audio_codec": audio.codec_context.name if audio is not None else None,
                "audio_rate": audio.codec_context.sample_rate if audio is not None else None,
            }
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InvalidInput(f"{path.name} is not a video Instagram can read ({exc})", field="video") from exc


def _aspect_name(width: int, height: int) -> str:
    if width > height:
        return "landscape"
    if width == height:
        return "square"
    return "vertical, but not 9:16"


def write_cover(video: Path, out: Path, *, at: float = 1.0) -> Path:
    """Write the frame about ``at`` seconds in (or halfway, for a shorter video) as a JPEG cover.

    Passing a cover to ``clip_upload`` keeps instagrapi from needing MoviePy and ffmpeg.
    """
    chosen = None
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        duration = container.duration / av.time_base if container.duration else at * 2
        target = min(at, duration / 2)
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= target:
                break
    if chosen is None:
        raise InvalidInput(f"{video.name} has no frame to use as the reel's cover", field="video")
    chosen.to_image().convert("RGB").save(out, "JPEG", quality=90)
    return out


# -- sorting instagrapi's errors -----------------------------------------------------------------------

_CHALLENGE = (
    "Instagram wants to confirm that this login is you. Open the Instagram app on your phone, "
    'approve the login ("This was me") or finish the check it shows, then connect Instagram '
    "in Oasis again."
)
_CODE_NEEDED = (
    "Instagram asks for a security code for this login. Enter the 6-digit code from your "
    "authenticator app, or the one Instagram sent you by SMS or email, and connect again."
)
_CODE_REFUSED = (
    "Instagram did not accept the security code. Codes expire after a few minutes: get a fresh "
    "one and connect again (or approve the login in the Instagram app)."
)
_BAD_PASSWORD = (
    "Instagram refused the username or password. Check them and connect again. Instagram also "
    "answers this when it distrusts the network or device a login comes from: if the password "
    "is right, open the Instagram app once, then retry (a stable proxy set with "
    "INSTAGRAM_PROXY helps)."
)
_SESSION_ENDED = (
    "Instagram ended the saved session for this account (after a password change, a security "
    "check or a long time unused). Reconnect Instagram in Oasis: Oasis does not keep your "
    "password, so it cannot sign in again by itself."
)


class _CodeNeeded(Exception):
    """Raised by the challenge-code handler: Oasis never waits for a code on a console."""


def _no_code(username: str, choice: Any = None) -> str:
    raise _CodeNeeded(str(choice or ""))


def _no_new_password(username: str) -> str:
    raise ig.ChallengeRequired("Instagram wants the password changed before this account signs in again")


def _detail(exc: BaseException) -> str:
    text = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    text = _SPACES.sub(" ", str(text)).strip()
    return text if len(text) <= 200 else text[:197] + "..."


def _status(exc: BaseException) -> int | None:
    for value in (
        getattr(exc, "status_code", None),
        getattr(exc, "code", None),
        getattr(getattr(exc, "response", None), "status_code", None),
    ):
        if isinstance(value, int):
            return value
    return None


def _retry_after_header(exc: BaseException, default: float) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def sort_error(exc: BaseException, *, code_given: bool = False) -> ProviderError:
    """The Oasis error for an instagrapi (or ``requests``) exception, with a message a user can act on."""
    p = PROVIDER_ID
    if isinstance(exc, _CodeNeeded | ig.TwoFactorRequired):
        return NeedsCredentials(_CODE_REFUSED if code_given else _CODE_NEEDED, provider=p)
    if isinstance(exc, ig.ChallengeError | ig.CaptchaChallengeRequired):
        return NeedsCredentials(_CODE_REFUSED if code_given else _CHALLENGE, provider=p)
    if isinstance(exc, ig.BadPassword | ig.BadCredentials):
        return NeedsCredentials(_BAD_PASSWORD, provider=p)
    if isinstance(
        exc,
        ig.LoginRequired | ig.ClientLoginRequired | ig.ReloginAttemptExceeded | ig.ClientUnauthorizedError,
    ):
        return NeedsCredentials(_SESSION_ENDED, provider=p)
    if isinstance(exc, ig.AccountSuspended):
        return ProviderError(
            "Instagram has suspended this account. Open the Instagram app to see why and to appeal; "
            "Oasis cannot post to it until Instagram restores it.",
            provider=p,
        )
    if isinstance(exc, ig.FeedbackRequired):
        reason = getattr(exc, "feedback_message", "") or ""
        return RetryableProviderError(
            "Instagram is limiting what this account can do right now (feedback_required"
            + (f": {_SPACES.sub(' ', str(reason)).strip()}" if reason else "")
            + "). Oasis will try again in 6 hours; posting less often helps, and retrying by hand "
            "meanwhile makes the block last longer.",
            provider=p,
            retry_after=FEEDBACK_RETRY,
        )
    if isinstance(exc, ig.PleaseWaitFewMinutes):
        wait = _retry_after_header(exc, PLEASE_WAIT_RETRY)
        return RetryableProviderError(
            "Instagram asked to wait a few minutes before the next request: it is limiting this "
            f"account. Oasis will try again in {_minutes(wait)}.",
            provider=p,
            retry_after=wait,
        )
    if isinstance(exc, ig.RateLimitError | ig.ClientThrottledError) or (
        isinstance(exc, ig.ClipNotUpload | ig.VideoNotUpload | ig.PhotoNotUpload) and _status(exc) == 429
    ):
        wait = _retry_after_header(exc, THROTTLED_RETRY)
        return RetryableProviderError(
            "Instagram is rate-limiting this account (too many requests). Oasis will try again in "
            f"{_minutes(wait)}.",
            provider=p,
            retry_after=wait,
        )
    if isinstance(
        exc,
        ig.ClientConnectionError
        | ig.ClientRequestTimeout
        | ig.ClientIncompleteReadError
        | ig.ClientJSONDecodeError
        | requests.RequestException,
    ):
        return RetryableProviderError(
            f"Instagram could not be reached or did not answer properly ({_detail(exc)}). "
            "Oasis will try again shortly.",
            provider=p,
            retry_after=TRANSIENT_RETRY,
        )
    if isinstance(exc, ig.SentryBlock):
        return ProviderError(
            "Instagram blocked this action as suspected spam (sentry_block). Wait a day, post less "
            "often, and check the account in the Instagram app.",
            provider=p,
        )
    if isinstance(exc, ig.ProxyAddressIsBlocked):
        return ProviderError(
            "Instagram blocked the network address Oasis connects from. Set a stable, dedicated "
            "proxy (not a free or shared one) with INSTAGRAM_PROXY.",
            provider=p,
        )
    if isinstance(exc, ig.ClientNeedsUpgradeError):
        return ProviderError(
            "Instagram refused the app version instagrapi presents (needs_upgrade). Upgrade "
            "instagrapi on the Oasis server (pip install -U instagrapi).",
            provider=p,
        )
    if isinstance(exc, ig.VideoTooLongException):
        return ProviderError(
            f"Instagram refused the video as too long for a reel. Keep reels between "
            f"{MIN_SECONDS:g} and {MAX_SECONDS:g} seconds.",
            provider=p,
        )
    status = _status(exc)
    if status is not None and (status >= 500 or status == 408):
        return RetryableProviderError(
            f"Instagram had a server error (HTTP {status}). Oasis will try again shortly.",
            provider=p,
            retry_after=TRANSIENT_RETRY,
        )
    if isinstance(exc, ig.ClipNotUpload | ig.VideoNotUpload | ig.PhotoNotUpload):
        if status in (401, 403) and "login_required" in str(exc):
            return NeedsCredentials(_SESSION_ENDED, provider=p)
        return ProviderError(
            f"Instagram did not accept the reel ({_detail(exc)}). Check the video (an H.264/AAC "
            f"MP4, 9:16, {MIN_SECONDS:g}-{MAX_SECONDS:g} s); if it keeps failing, post it once from "
            "the Instagram app to see Instagram's reason.",
            provider=p,
        )
    if isinstance(exc, ig.MediaNotFound | ig.MediaUnavailable):
        return ProviderError(f"Instagram cannot find that reel ({_detail(exc)}).", provider=p)
    return ProviderError(f"Instagram refused the request: {_detail(exc)}", provider=p)


_INSTAGRAPI_ERRORS = (ig.ClientError, requests.RequestException, _CodeNeeded)


# -- settings helpers ----------------------------------------------------------------------------------


def _delay_range(config: ProviderConfig) -> list[float] | None:
    raw = config.setting("delay_range")
    if raw is None:
        return list(DEFAULT_DELAY_RANGE)
    parts = [part for part in re.split(r"[,\s;]+|(?<=\d)-", raw.strip()) if part]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    low, high = (numbers[0], numbers[-1]) if len(numbers) in (1, 2) else (-1.0, -1.0)
    if not 0 <= low <= high:
        raise InvalidInput(
            f"The Instagram setting 'delay_range' must be two seconds values like '1,3', not {raw!r}",
            field="delay_range",
        )
    return None if high == 0 else [low, high]


# -- the publisher -------------------------------------------------------------------------------------


class InstagramPublisher:
    """Publishes Reels to Instagram through instagrapi; accounts connect with :meth:`login`.

    Settings: ``proxy`` (an ``http://user:pass@host:port`` or ``socks5://`` URL; keep
    one stable proxy per account), ``delay_range`` (seconds of random pause
    before each request, ``"1,3"`` by default; ``"0"`` for none),
    ``configure_timeout`` (seconds between upload and configure, default 10) and
    ``duplicate_window`` (minutes a reel with the same caption counts as the one
    being published on a retry, default 60; ``0`` turns the check off).
    """

    id: ClassVar[str] = PROVIDER_ID
    name: ClassVar[str] = "Instagram (instagrapi)"
    platform: ClassVar[str] = PLATFORM
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    settings_env: ClassVar[Mapping[str, str]] = {
        "proxy": "INSTAGRAM_PROXY",
        "delay_range": "INSTAGRAM_DELAY_RANGE",
        "configure_timeout": "INSTAGRAM_CONFIGURE_TIMEOUT",
        "duplicate_window": "INSTAGRAM_DUPLICATE_WINDOW",
    }

    client_class: type[Client] = Client
    """The instagrapi client class (tests put one wired to a local fake server here)."""

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.proxy = self.config.setting("proxy")
        self.delay_range = _delay_range(self.config)
        self.configure_timeout = self.config.number("configure_timeout", DEFAULT_CONFIGURE_TIMEOUT)
        self.duplicate_window = timedelta(
            minutes=self.config.number("duplicate_window", DEFAULT_DUPLICATE_WINDOW)
        )

    # -- connecting --------------------------------------------------------------------------------

    def login(self, username: str, password: str, verification_code: str | None = None) -> SocialAccount:
        """Sign in and return the account with instagrapi's session settings; the password is not kept.

        A two-factor ``verification_code`` is passed to Instagram as given. When
        Instagram wants the login confirmed (a challenge) or asks for a code,
        this raises :class:`NeedsCredentials` saying what to do.
        """
        username = (username or "").strip().lstrip("@")
        if not username:
            raise InvalidInput("Enter the Instagram username", field="username")
        if not password:
            raise InvalidInput("Enter the Instagram password", field="password")
        code = re.sub(r"\s+", "", verification_code or "")
        client = self._new_client({"uuids": stable_device_ids(username)})
        try:
            client.login(username, password, verification_code=code)
        except OasisError:
            raise
        except _INSTAGRAPI_ERRORS as exc:
            raise sort_error(exc, code_given=bool(code)) from exc
        finally:
            client.password = None
        user_id = client.user_id
        if not user_id:
            raise ProviderError(
                "Instagram accepted the login but returned no session. Try again in a few minutes.",
                provider=PROVIDER_ID,
            )
        return SocialAccount(
            platform=PLATFORM,
            username=client.username or username,
            access_token=client.sessionid or _NO_SESSIONID,
            session=json.dumps(client.get_settings()),
            account_id=str(user_id),
        )

    def revoke(self, account: SocialAccount) -> None:
        """Log the saved session out at Instagram (best effort)."""
        if not account.session and not _SESSIONID.match(account.access_token or ""):
            return
        with self._session(account) as client, suppress(*_INSTAGRAPI_ERRORS):
            client.logout()

    # -- checking ----------------------------------------------------------------------------------

    def check(self, request: PublishRequest) -> None:
        """Refuse, before any upload, a video or caption outside what a reel may be."""
        path = Path(request.video_path)
        if not path.is_file():
            raise InvalidInput(f"The video file {path} does not exist", field="video")
        if request.privacy != "public":
            raise InvalidInput(
                "Instagram has no private or unlisted reels: a reel is seen by whoever can see the "
                f"account. Choose public (not {request.privacy!r}).",
                field="privacy",
                choices=("public",),
            )
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidInput(
                f"The video is {size / 1e6:.0f} MB; Instagram takes reels up to {MAX_BYTES // 2**20} MB",
                field="video",
            )
        info = _probe(path)
        if not info["formats"] & {"mp4", "mov"}:
            raise InvalidInput("Instagram takes reels as MP4 or MOV files", field="video")
        width, height = info["width"], info["height"]
        if not width or not height or abs(width / height - ASPECT) / ASPECT > ASPECT_TOLERANCE:
            raise InvalidInput(
                f"Instagram Reels need a vertical 9:16 video (1080×1920 is best); this one is "
                f"{width}×{height} ({_aspect_name(width, height)}). Render it in 9:16.",
                field="video",
            )
        if width > MAX_WIDTH:
            raise InvalidInput(
                f"The video is {width} px wide; Instagram takes up to {MAX_WIDTH}", field="video"
            )
        seconds = info["seconds"]
        if seconds is None:
            raise InvalidInput("The video's duration cannot be read", field="video")
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            raise InvalidInput(
                f"The video lasts {seconds:.1f} s; a reel must last {MIN_SECONDS:g} to {MAX_SECONDS:g} s",
                field="video",
            )
        if info["codec"] not in VIDEO_CODECS:
            raise InvalidInput(
                f"The video is encoded as {info['codec']}; Instagram takes H.264 or HEVC", field="video"
            )
        if info["pix_fmt"] and info["pix_fmt"] not in PIXEL_FORMATS:
            raise InvalidInput(
                f"The video's pixel format is {info['pix_fmt']}; Instagram takes 4:2:0 (yuv420p)",
                field="video",
            )
        fps = info["fps"]
        if fps is not None and not MIN_FPS - 0.1 <= fps <= MAX_FPS + 0.1:
            raise InvalidInput(
                f"The video runs at {fps:.2f} fps; Instagram takes {MIN_FPS:g} to {MAX_FPS:g}", field="video"
            )
        if info["audio_codec"] is not None:
            if info["audio_codec"] not in AUDIO_CODECS:
                raise InvalidInput(
                    f"The sound is encoded as {info['audio_codec']}; Instagram takes AAC", field="video"
                )
            if info["audio_rate"] and info["audio_rate"] > MAX_AUDIO_RATE:
                raise InvalidInput(
                    f"The sound is sampled at {info['audio_rate']} Hz; Instagram takes up to 48 kHz",
                    field="video",
                )
        caption = reel_caption(request)
        if len(caption) > MAX_CAPTION:
            raise InvalidInput(
                f"The caption (title, description and tags) has {len(caption)} characters; "
                f"Instagram takes up to {MAX_CAPTION}",
                field="description",
            )
        tags = count_hashtags(caption)
        if tags > MAX_HASHTAGS:
            raise InvalidInput(
                f"The caption has {tags} hashtags; Instagram takes up to {MAX_HASHTAGS}", field="tags"
            )

    # -- a post's options ----------------------------------------------------------------------------

    def posting_rules(self, account: SocialAccount) -> PostingRules:
        """Instagram's fixed rules (no call is made): no privacy choice, reels up to 90 s, caption limits."""
        return PostingRules(
            platform="instagram",
            username=account.username,
            nickname=account.username,
            max_duration_seconds=MAX_SECONDS,
            limits={"caption_chars": MAX_CAPTION, "hashtags": MAX_HASHTAGS},
        )

    def check_options(
        self,
        chosen: Mapping[str, Any],
        rules: PostingRules,
        request: PublishRequest,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """A reel's options, checked (see :mod:`oasis_plugins.instagram.options`)."""
        return options.check(chosen, rules, request, duration, built_caption=build_caption(request))

    # -- publishing --------------------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        account: SocialAccount,
        *,
        on_platform_id: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Check the video, then post it as a reel with the saved session (see the module docs)."""
        self.check(request)
        with self._session(account) as client:
            if request.platform_id:
                found = self._find(client, request.platform_id, account)
                if found is None:
                    raise ProviderError(
                        f"The reel Instagram created earlier ({request.platform_id}) is no longer on the "
                        "account (deleted, or removed by Instagram). Oasis does not post it a second "
                        "time by itself: publish it again as a new post if you want it back.",
                        provider=PROVIDER_ID,
                    )
                return found
            caption = reel_caption(request)
            result = self._recent_duplicate(client, caption)
            if result is None:
                with tempfile.TemporaryDirectory(prefix="oasis-instagram-") as folder:
                    cover = write_cover(
                        Path(request.video_path),
                        Path(folder) / "cover.jpg",
                        at=float(request.options.get("cover_time", 1.0)),
                    )
                    feed = request.options.get("share_to_feed")
                    media = self._call(
                        client.clip_upload,
                        Path(request.video_path),
                        caption,
                        thumbnail=cover,
                        configure_timeout=self.configure_timeout,
                        **({} if feed is None else {"show_preview_in_feed": bool(feed)}),
                    )
                result = PublishResult(str(media.pk), reel_url(media.code))
        if on_platform_id is not None:
            on_platform_id(result.platform_id)
        return result

    def lookup(self, platform_id: str, account: SocialAccount) -> PublishResult | None:
        """The reel with media pk ``platform_id`` on ``account``, or ``None`` when it is not there."""
        with self._session(account) as client:
            return self._find(client, platform_id, account)

    # -- internals -----------------------------------------------------------------------------------

    def _new_client(self, settings: dict[str, Any]) -> Client:
        client = self.client_class(
            settings=settings,
            proxy=self.proxy,
            delay_range=self.delay_range,
            with_challenge_flow=False,
        )
        # Never wait for input() on a server: a code or a new password comes from the user.
        client.challenge_code_handler = _no_code
        client.change_password_handler = _no_new_password
        return client

    @contextmanager
    def _session(self, account: SocialAccount) -> Iterator[Client]:
        """A client on ``account``'s saved session; the session goes back into the account afterwards."""
        if account.platform != PLATFORM:
            raise InvalidInput(f"That is a {account.platform} account, not an Instagram one", field="account")
        client = self._new_client(_saved_settings(account))
        if not client.user_id:
            raise NeedsCredentials(_SESSION_ENDED, provider=PROVIDER_ID)
        try:
            yield client
        finally:
            account.session = json.dumps(client.get_settings())
            if client.sessionid:
                account.access_token = client.sessionid

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except OasisError:
            raise
        except _INSTAGRAPI_ERRORS as exc:
            raise sort_error(exc) from exc

    def _find(self, client: Client, platform_id: str, account: SocialAccount) -> PublishResult | None:
        try:
            media = client.media_info_v1(client.media_pk(platform_id))
        except (ig.MediaNotFound, ig.MediaUnavailable):
            return None
        except OasisError:
            raise
        except _INSTAGRAPI_ERRORS as exc:
            raise sort_error(exc) from exc
        if account.account_id and str(media.user.pk) != str(account.account_id):
            return None
        return PublishResult(str(media.pk), reel_url(media.code))

    def _recent_duplicate(self, client: Client, caption: str) -> PublishResult | None:
        """A reel with this caption the account posted within the duplicate window, if any.

        It reads one page of the account's reels (``clips/user/``, what
        ``user_clips`` calls) directly so that a refusal surfaces instead of
        being logged and ignored.
        """
        if self.duplicate_window <= timedelta(0):
            return None
        answer = self._call(
            client.private_request,
            "clips/user/",
            data={
                "target_user_id": client.user_id,
                "max_id": "",
                "page_size": RECENT_REELS,
                "include_feed_video": "true",
            },
        )
        since = datetime.now(UTC) - self.duplicate_window
        for item in answer.get("items") or []:
            try:
                media = extract_media_v1(item["media"])
            except Exception:  # one odd item must not stop the check
                continue
            taken = media.taken_at if media.taken_at.tzinfo else media.taken_at.replace(tzinfo=UTC)
            if taken >= since and _same_caption(media.caption_text or "", caption):
                return PublishResult(str(media.pk), reel_url(media.code))
        return None
