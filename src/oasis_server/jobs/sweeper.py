"""The sweeper: finds videos whose worker went silent, or whose message never arrived, and acts.

A ``processing`` row whose lease (or dispatch deadline) has passed is either
re-sent to the workers or, once it has used up its attempts, failed with a
message. Each action is a compare-and-set on the row, so any number of
sweepers (one per ``oasis serve`` or ``oasis worker`` process) act once.
Videos parked while their owner was inactive are made due again once the
owner is active, however they were reactivated.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from oasis_server.accounts import purge_tokens
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import leases

log = logging.getLogger(__name__)

BATCH = 100
MAX_REDISPATCH_WAIT = timedelta(minutes=30)
PURGE_EVERY_SECONDS = 3600.0
"""How often a sweeper also deletes the records of expired and revoked sessions."""


def redispatch_wait(created_at: datetime, now: datetime, lease_seconds: int) -> timedelta:
    """How long a re-sent row waits before it is re-sent again if still unclaimed.

    It grows with the time the video has waited (from one lease up to 30
    minutes), so a long queue is not flooded with copies of the same message.
    """
    lease = timedelta(seconds=lease_seconds)
    return min(max(lease, now - created_at), max(lease, MAX_REDISPATCH_WAIT))


def sweep(context: ServerContext, send: Callable[[str], None], now: datetime | None = None) -> dict[str, int]:
    """One pass: re-send or fail every stale ``processing`` row; returns how many of each."""
    now = now or utcnow()
    lease_seconds = context.settings.video_lease_seconds
    max_attempts = context.settings.video_max_attempts
    with context.session() as session:
        # owners reactivated: their parked videos become stale, so this very pass sends them
        leases.unpark_active(session, now - timedelta(seconds=1))
    with context.sessions() as session:
        rows = session.execute(
            select(Video.id, Video.attempts, Video.created_at)
            .where(leases.stale_condition(now, lease_seconds))
            .order_by(Video.created_at)
            .limit(BATCH)
        ).all()
    counts = {"resent": 0, "failed": 0}
    for video_id, attempts, created_at in rows:
        if attempts >= max_attempts:
            with context.session() as session:
                failed = leases.fail_stale(
                    session, video_id, now, lease_seconds, leases.attempts_exhausted_message(attempts)
                )
            if failed:
                counts["failed"] += 1
                log.warning("Video %s failed after %d attempts", video_id, attempts)
            continue
        retry_at = now + redispatch_wait(created_at, now, lease_seconds)
        with context.session() as session:
            taken = leases.requeue_stale(session, video_id, now, lease_seconds, retry_at)
        if not taken:
            continue
        try:
            send(video_id)
        except Exception as exc:  # the broker is down: the row keeps its deadline and is tried again
            log.warning("Could not re-send video %s: %s", video_id, exc)
            continue
        counts["resent"] += 1
        log.info("Re-sent video %s (attempts so far: %d)", video_id, attempts)
    return counts


def sweep_interval(lease_seconds: int) -> float:
    """Seconds between sweeps: half a lease, at most 30 s."""
    return min(30.0, max(0.5, lease_seconds / 2))


class Sweeper(threading.Thread):
    """Runs :func:`sweep` at once and then every :func:`sweep_interval` seconds until stopped."""

    def __init__(self, context: ServerContext, send: Callable[[str], None]) -> None:
        super().__init__(name="oasis-sweeper", daemon=True)
        self.context = context
        self.send = send
        self.interval = sweep_interval(context.settings.video_lease_seconds)
        self._stopped = threading.Event()
        self._next_purge = 0.0

    def run(self) -> None:
        """Sweep until :meth:`stop`; a failed pass (database down) is logged and retried."""
        while not self._stopped.is_set():
            try:
                sweep(self.context, self.send)
            except Exception:
                log.exception("A sweep of stale videos failed; retrying in %.0f s", self.interval)
            self._purge_sessions()
            # jitter keeps the sweepers of many processes from querying in lock-step
            self._stopped.wait(self.interval * random.uniform(0.8, 1.2))

    def _purge_sessions(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS * random.uniform(0.9, 1.1)
        try:
            with self.context.session() as session:
                purged = purge_tokens(session)
        except Exception:
            log.exception("Purging ended sessions failed; trying again later")
            return
        if purged:
            log.info("Purged %d expired or revoked session records", purged)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and wait for the current pass to end."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout)
