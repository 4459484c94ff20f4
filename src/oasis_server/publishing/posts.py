"""The scheduled posts' moves, each a compare-and-set on the row, so any number of schedulers and
workers can run without ever publishing a post twice.

* :func:`claim`: ``pending`` → ``publishing`` with a fresh claim token, only if still pending and due.
* :func:`start`: the worker that got the claim's message begins an attempt (counted in ``attempts``).
  A claim whose message waits in the queue counts no attempt, so a backlog longer than the lease
  only sends the post again; it never fails it.
* :func:`renew`: the claim holder says it is alive (``claimed_at`` = now).
* :func:`record_platform_id`: the platform's upload/publish id, written the moment it is known.
* :func:`finish`, :func:`retry_later`, :func:`fail`: only the claim holder may end its claim.
* :func:`recover_stale`: a claim whose holder went silent past the lease returns to ``pending``
  (its platform id kept, so the retry checks it before uploading) or fails after the attempt cap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from oasis_server.db.models import ScheduledPost, User, Video
from oasis_server.jobs.leases import short

PLATFORM_ID_LENGTH = 1024
"""Room for an upload session's URI (YouTube's), which is the platform id until the post's own id arrives."""
MAX_BACKOFF_SECONDS = 3600.0
BASE_BACKOFF_SECONDS = 30.0


def due_condition(now: datetime) -> ColumnElement[bool]:
    """A pending post whose time has come and whose retry wait (if any) is over."""
    return and_(
        ScheduledPost.status == "pending",
        ScheduledPost.scheduled_time <= now,
        or_(ScheduledPost.not_before.is_(None), ScheduledPost.not_before <= now),
    )


def due_posts(session: Session, now: datetime, limit: int = 50) -> list[str]:
    """Ids of due posts whose video is rendered, oldest first (posts of videos still rendering wait).

    Posts of an inactive user wait too: they go out when the user is active again, if still due.
    """
    rows = session.scalars(
        select(ScheduledPost.id)
        .join(Video, Video.id == ScheduledPost.video_id)
        .join(User, User.id == ScheduledPost.user_id)
        .where(due_condition(now), Video.status == "completed", User.status == "active")
        .order_by(ScheduledPost.scheduled_time, ScheduledPost.id)
        .limit(limit)
    )
    return list(rows)


def fail_posts_of_failed_videos(session: Session, now: datetime) -> int:
    """Pending posts whose video failed to render or is gone can never publish: fail them with the reason."""
    failed_videos = select(Video.id).where(Video.status == "failed")
    hopeless = or_(ScheduledPost.video_id.in_(failed_videos), ScheduledPost.video_id.is_(None))
    if not _any(session, and_(ScheduledPost.status == "pending", hopeless)):
        return 0
    result = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.status == "pending", ScheduledPost.video_id.in_(failed_videos))
        .values(status="failed", error="The video failed to render, so it was not published", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    gone = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.status == "pending", ScheduledPost.video_id.is_(None))
        .values(status="failed", error="The video was deleted before it was published", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) + int(gone.rowcount or 0)  # type: ignore[attr-defined]


def _any(session: Session, condition: ColumnElement[bool]) -> bool:
    """Whether a post matches ``condition``: a read first, so an idle scheduler pass writes nothing
    (on SQLite every ``UPDATE``, even of no row, takes the database's one write lock)."""
    return session.scalar(select(ScheduledPost.id).where(condition).limit(1)) is not None


def claim(session: Session, post_id: str, token: str, now: datetime) -> bool:
    """Take the post for publishing; ``False`` if another claimed it first or it is no longer due.

    The attempt is counted by :func:`start`, when a worker begins it, not here.
    """
    result = session.execute(
        update(ScheduledPost)
        .where(ScheduledPost.id == post_id, due_condition(now))
        .values(status="publishing", claim=token, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _held(post_id: str, token: str) -> ColumnElement[bool]:
    return and_(
        ScheduledPost.id == post_id, ScheduledPost.status == "publishing", ScheduledPost.claim == token
    )


def _move(session: Session, post_id: str, token: str, **values: object) -> bool:
    result = session.execute(
        update(ScheduledPost)
        .where(_held(post_id, token))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def start(session: Session, post_id: str, token: str, now: datetime, max_attempts: int) -> bool:
    """Begin an attempt under the claim (count it, renew the lease); ``False`` if the claim is not held.

    A claim whose message keeps being delivered again (its workers died) reaches the attempt cap
    here: the post then ends ``failed`` instead of starting once more.
    """
    begun = session.execute(
        update(ScheduledPost)
        .where(_held(post_id, token), ScheduledPost.attempts < max_attempts)
        .values(attempts=ScheduledPost.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if begun.rowcount == 1:  # type: ignore[attr-defined]
        return True
    fail(
        session,
        post_id,
        token,
        now,
        f"Publishing was interrupted {max_attempts} times; it was not retried again",
    )
    return False


def renew(session: Session, post_id: str, token: str, now: datetime) -> bool:
    """Keep the claim alive; ``False`` if it was lost (the post was recovered by a scheduler)."""
    return _move(session, post_id, token, claimed_at=now)


def record_platform_id(session: Session, post_id: str, token: str, platform_id: str) -> bool:
    """Store the platform's id for the upload, so a retry checks it instead of uploading again."""
    return _move(session, post_id, token, platform_id=platform_id[:PLATFORM_ID_LENGTH])


def finish(
    session: Session, post_id: str, token: str, now: datetime, platform_id: str, url: str | None
) -> bool:
    """The post is out: ``published`` with the platform's id and URL."""
    return _move(
        session,
        post_id,
        token,
        status="published",
        platform_id=platform_id[:PLATFORM_ID_LENGTH],
        published_url=url[:500] if url else None,
        error=None,
        claim=None,
        updated_at=now,
    )


def retry_later(session: Session, post_id: str, token: str, now: datetime, wait: float, message: str) -> bool:
    """A transient failure: back to ``pending``, not before ``now + wait``, keeping the platform id."""
    return _move(
        session,
        post_id,
        token,
        status="pending",
        claim=None,
        not_before=now + timedelta(seconds=wait),
        error=short(message),
        updated_at=now,
    )


def fail(session: Session, post_id: str, token: str, now: datetime, message: str) -> bool:
    """A permanent failure: ``failed`` with a reason the user can act on."""
    return _move(session, post_id, token, status="failed", claim=None, error=short(message), updated_at=now)


def backoff_seconds(
    attempts: int, retry_after: float | None = None, base: float = BASE_BACKOFF_SECONDS
) -> float:
    """The wait before attempt ``attempts + 1``: ``base`` (``OASIS_POST_BACKOFF_SECONDS``, 30 s) doubling,
    at most an hour, at least what the platform asked."""
    wait = min(MAX_BACKOFF_SECONDS, base * 2.0 ** min(max(0, attempts - 1), 32))
    return max(wait, min(retry_after or 0.0, 24 * 3600.0))


def recover_stale(session: Session, now: datetime, lease_seconds: int, max_attempts: int) -> dict[str, int]:
    """Claims silent for longer than the lease: retry them (platform id kept) or fail them at the cap.

    A claim whose message was never started (it waited in the queue, or was lost) counted no
    attempt, so it always goes back to ``pending`` to be sent again.
    """
    stale = and_(
        ScheduledPost.status == "publishing",
        or_(
            ScheduledPost.claimed_at.is_(None),
            ScheduledPost.claimed_at < now - timedelta(seconds=lease_seconds),
        ),
    )
    if not _any(session, stale):
        return {"failed": 0, "requeued": 0}
    exhausted = session.execute(
        update(ScheduledPost)
        .where(stale, ScheduledPost.attempts >= max_attempts)
        .values(
            status="failed",
            claim=None,
            error=f"Publishing stopped responding {max_attempts} times; it was not retried again",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    retried = session.execute(
        update(ScheduledPost)
        .where(stale)
        .values(status="pending", claim=None, not_before=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return {
        "failed": int(exhausted.rowcount or 0),  # type: ignore[attr-defined]
        "requeued": int(retried.rowcount or 0),  # type: ignore[attr-defined]
    }


def release(session: Session, post_id: str, token: str, now: datetime) -> bool:
    """Hand back a claim that was never worked on (its message could not be sent)."""
    return _move(session, post_id, token, status="pending", claim=None, updated_at=now)
