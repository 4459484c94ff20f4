"""The video row is the job of record: claims, leases and endings as compare-and-set updates.

A ``processing`` row is in one of two states:

* **waiting**: ``lease_owner`` is NULL; ``lease_until`` is when a sweeper
  re-sends its message if no worker has claimed it by then (NULL for rows
  written without one: then ``created_at`` + the lease counts).
* **claimed**: ``lease_owner`` holds the token of one render attempt;
  ``lease_until`` is renewed while the attempt lives. Once it passes, the
  attempt counts as dead and the row may be claimed again.

Every write an attempt makes says ``WHERE lease_owner = :token``, so an attempt
that lost its lease can never overwrite the work of the one that took over.

A video of an inactive user is **parked**: waiting, with ``lease_until`` at
:data:`PARKED_UNTIL`, so no sweeper sends it; once the user is active again
(:func:`unpark_user` at once, or the next sweep's :func:`unpark_active`) the
video is due again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.orm import Session

from oasis_core.domain.video import RenderStage
from oasis_server.db.models import User, Video

MAX_ERROR_LENGTH = 500
PARKED_UNTIL = datetime(9000, 1, 1, tzinfo=UTC)
"""The ``lease_until`` of a parked video: no sweeper's "now" reaches it."""


def _stale(now: datetime, lease_seconds: int) -> ColumnElement[bool]:
    """Rows whose lease (or dispatch deadline) has passed."""
    return or_(
        and_(Video.lease_until.is_not(None), Video.lease_until < now),
        and_(Video.lease_until.is_(None), Video.created_at < now - timedelta(seconds=lease_seconds)),
    )


def stale_condition(now: datetime, lease_seconds: int) -> ColumnElement[bool]:
    """``processing`` rows that a sweeper should act on: dead attempts and messages never picked up."""
    return and_(Video.status == "processing", _stale(now, lease_seconds))


def claim(session: Session, video_id: str, token: str, now: datetime, lease_seconds: int) -> bool:
    """Take the row for one attempt (and count it); ``False`` if another live attempt holds it or it is done."""
    result = session.execute(
        update(Video)
        .where(
            Video.id == video_id,
            Video.status == "processing",
            or_(Video.lease_owner.is_(None), Video.lease_until.is_(None), Video.lease_until < now),
        )
        .values(
            lease_owner=token,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=Video.attempts + 1,
            stage=RenderStage.QUEUED.value,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _owned(video_id: str, token: str) -> ColumnElement[bool]:
    return and_(Video.id == video_id, Video.lease_owner == token, Video.status == "processing")


def _write(session: Session, video_id: str, token: str, values: Mapping[str, Any]) -> bool:
    result = session.execute(
        update(Video)
        .where(_owned(video_id, token))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def renew(session: Session, video_id: str, token: str, now: datetime, lease_seconds: int) -> bool:
    """Extend the attempt's lease; ``False`` if it no longer holds the row.

    Also ``False`` once the video's owner is no longer active: the video is then parked (this attempt
    uncounted), so its render stops at its next progress report and resumes when the owner is back.
    """
    owner_status = session.scalar(
        select(User.status).join(Video, Video.user_id == User.id).where(Video.id == video_id)
    )
    if owner_status != "active":
        release(session, video_id, token, PARKED_UNTIL, refund=True)
        return False
    return _write(session, video_id, token, {"lease_until": now + timedelta(seconds=lease_seconds)})


def report(
    session: Session,
    video_id: str,
    token: str,
    stage: RenderStage,
    progress: int,
    now: datetime,
    lease_seconds: int,
) -> bool:
    """Record the stage and progress (never lowering progress) and extend the lease."""
    return _write(
        session,
        video_id,
        token,
        {
            "stage": stage.value,
            "progress": case((Video.progress > progress, Video.progress), else_=progress),
            "lease_until": now + timedelta(seconds=lease_seconds),
        },
    )


def complete(session: Session, video_id: str, token: str, values: Mapping[str, Any]) -> bool:
    """Mark the render done with ``values`` (keys, urls, duration, usage); ``False`` if the lease was lost."""
    return _write(
        session,
        video_id,
        token,
        {
            **values,
            "status": "completed",
            "stage": RenderStage.DONE.value,
            "progress": 100,
            "error": None,
            "lease_owner": None,
            "lease_until": None,
        },
    )


def fail(session: Session, video_id: str, token: str, message: str) -> bool:
    """Mark the render failed with a short message; ``False`` if the lease was lost."""
    return _write(
        session,
        video_id,
        token,
        {"status": "failed", "error": short(message), "lease_owner": None, "lease_until": None},
    )


def release(session: Session, video_id: str, token: str, retry_at: datetime, *, refund: bool) -> bool:
    """Give the row back for another attempt from ``retry_at`` on (``refund``: this one does not count)."""
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": retry_at,
        "stage": RenderStage.QUEUED.value,
    }
    if refund:
        values["attempts"] = case((Video.attempts > 0, Video.attempts - 1), else_=0)
    return _write(session, video_id, token, values)


def _parked() -> ColumnElement[bool]:
    return and_(Video.status == "processing", Video.lease_owner.is_(None), Video.lease_until >= PARKED_UNTIL)


def unpark_user(session: Session, user_id: str, now: datetime) -> int:
    """Make the parked videos of ``user_id`` due at once (the sweeper sends them); how many there were."""
    result = session.execute(
        update(Video)
        .where(Video.user_id == user_id, _parked())
        .values(lease_until=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unpark_active(session: Session, now: datetime, limit: int = 100) -> int:
    """Make due the parked videos whose owner is active again, however they were reactivated.

    Reads first, so a pass with nothing to do writes nothing (on SQLite any ``UPDATE`` takes the lock).
    """
    active = select(User.id).where(User.status == "active")
    ids = list(session.scalars(select(Video.id).where(_parked(), Video.user_id.in_(active)).limit(limit)))
    if not ids:
        return 0
    result = session.execute(
        update(Video)
        .where(Video.id.in_(ids), _parked())
        .values(lease_until=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def requeue_stale(
    session: Session, video_id: str, now: datetime, lease_seconds: int, retry_at: datetime
) -> bool:
    """Hand a stale row back to the queue (one sweeper wins); ``False`` if it is no longer stale."""
    result = session.execute(
        update(Video)
        .where(Video.id == video_id, stale_condition(now, lease_seconds))
        .values(lease_owner=None, lease_until=retry_at, stage=RenderStage.QUEUED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def fail_stale(session: Session, video_id: str, now: datetime, lease_seconds: int, message: str) -> bool:
    """Fail a stale row that used up its attempts; ``False`` if it is no longer stale."""
    result = session.execute(
        update(Video)
        .where(Video.id == video_id, stale_condition(now, lease_seconds))
        .values(status="failed", error=short(message), lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def attempts_exhausted_message(attempts: int) -> str:
    """What a user reads when every attempt died."""
    noun = "attempt" if attempts == 1 else "attempts"
    return f"Rendering failed after {attempts} {noun}; try again"


def short(message: str) -> str:
    """A message trimmed to one line that fits the ``error`` column."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"
