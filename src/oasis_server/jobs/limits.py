"""What one user may cost: queued and concurrent renders, how often automations run, how long a video is.

The server-wide defaults are settings (``OASIS_MAX_QUEUED_RENDERS``,
``OASIS_MAX_CONCURRENT_RENDERS``, ``OASIS_MIN_AUTOMATION_INTERVAL``); an
admin may override any of them for one user (``users.limits``). A request
over a limit that will pass with time is refused with :class:`LimitReached`
(HTTP 429 with ``Retry-After``); a video's length (``OASIS_MAX_VIDEO_SECONDS``)
is refused before queueing when the text cannot fit, and otherwise checked
on the speech itself by the render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oasis_core.errors import InvalidInput, OasisError
from oasis_server.db.models import User, Video
from oasis_server.settings import Settings

QUEUE_RETRY_SECONDS = 60
"""What a user refused for a full queue is told to wait: about one render."""

WORDS_PER_SECOND = 4.0
"""The fastest plausible speech, in words a second (240 a minute: a fast voice at the normal rate)."""
WIDE_PER_SECOND = 8.0
"""The same for scripts written without spaces (CJK, kana, hangul): characters a second."""
_WIDE = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]"
)
_WORD = re.compile(r"\w+")


class LimitReached(OasisError):
    """The user is over one of their limits for now; ``retry_after`` is how many seconds to wait."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)


@frozen
class UserLimits:
    """One user's limits: the server's defaults with an admin's overrides applied."""

    queued_renders: int
    concurrent_renders: int
    automation_interval: int
    """Seconds."""


LIMIT_NAMES = ("queued_renders", "concurrent_renders", "automation_interval")
"""The keys of ``users.limits`` (and of the admin API's ``limits`` object)."""


def server_limits(settings: Settings) -> UserLimits:
    """The server-wide defaults."""
    return UserLimits(
        settings.max_queued_renders, settings.max_concurrent_renders, settings.min_automation_interval
    )


def limits_of(settings: Settings, overrides: Mapping[str, Any] | None) -> UserLimits:
    """The defaults with ``overrides`` (whole numbers by name; others are ignored) applied."""
    chosen: dict[str, int] = {
        name: value
        for name, value in (overrides or {}).items()
        if name in LIMIT_NAMES and isinstance(value, int) and not isinstance(value, bool) and value >= 0
    }
    defaults = server_limits(settings)
    return UserLimits(**{name: chosen.get(name, getattr(defaults, name)) for name in LIMIT_NAMES})


def user_limits(session: Session, settings: Settings, user_id: str) -> UserLimits:
    """The limits of ``user_id`` (the defaults for a user that does not exist)."""
    return limits_of(settings, session.scalar(select(User.limits).where(User.id == user_id)))


def is_active(session: Session, user_id: str) -> bool:
    """Whether ``user_id`` exists and is active: nothing of an inactive or deleted user's runs."""
    return session.scalar(select(User.status).where(User.id == user_id)) == "active"


def hold_queue(session: Session, user_id: str) -> None:
    """Lock the user's row (MySQL/MariaDB) until the transaction ends: call it before adding a video and
    :func:`check_queue` after, so that requests arriving together take their places one at a time.

    It must come before the insert: the insert's foreign-key check takes a shared lock on the same row,
    and two transactions each holding one and asking for this one would deadlock.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def check_queue(session: Session, settings: Settings, user_id: str) -> None:
    """Raise :class:`LimitReached` if the user now has more videos queued or rendering than allowed.

    Called in the transaction that has just added the new video (after :func:`hold_queue`), so that
    requests arriving together cannot all take the last place: on MySQL/MariaDB the lock makes the count
    see every earlier request's committed video; SQLite lets one writer at a time hold the database, so
    the count after the insert sees the others too. The caller's transaction is then rolled back.
    """
    limit = user_limits(session, settings, user_id).queued_renders
    waiting = session.scalar(
        select(func.count()).select_from(Video).where(Video.user_id == user_id, Video.status == "processing")
    )
    if int(waiting or 0) > limit:
        noun = "video" if limit == 1 else "videos"
        raise LimitReached(
            f"You already have {limit} {noun} queued or rendering, your limit; try again when one "
            f"finishes (in about {QUEUE_RETRY_SECONDS} s)",
            retry_after=QUEUE_RETRY_SECONDS,
        )


def rendering_now(session: Session, user_id: str, now: datetime, excluding: str) -> int:
    """How many of the user's videos other than ``excluding`` an attempt is rendering right now."""
    count = session.scalar(
        select(func.count())
        .select_from(Video)
        .where(
            Video.user_id == user_id,
            Video.status == "processing",
            Video.id != excluding,
            Video.lease_owner.is_not(None),
            Video.lease_until >= now,
        )
    )
    return int(count or 0)


def shortest_speech_seconds(text: str) -> float:
    """The least time ``text`` can take to speak: words (or wide characters) at the fastest plausible rate."""
    wide = len(_WIDE.findall(text))
    words = len(_WORD.findall(_WIDE.sub(" ", text)))
    return words / WORDS_PER_SECOND + wide / WIDE_PER_SECOND


def check_speech_length(text: str, max_seconds: int, *, field: str = "content") -> None:
    """Raise :class:`InvalidInput` when ``text`` cannot be spoken within ``max_seconds``, however fast."""
    shortest = shortest_speech_seconds(text)
    if shortest > max_seconds:
        raise InvalidInput(
            f"This text takes at least {shortest:.0f} s to speak, and a video may last at most "
            f"{max_seconds} s; shorten it",
            field=field,
        )
