"""The scheduler: claims due posts and hands them to the publish actor, recovers stale claims,
fails posts whose video failed, and claims due automation runs and hands them to the automation actor.

It never calls a provider itself: a slow language model holds up one automation run in a worker,
never the next pass of the scheduler, so other users' posts go out on time.

Any number of schedulers may run (``oasis scheduler`` on several machines, or
inside ``oasis serve`` in the embedded default): every move is a
compare-and-set on the row, so each post is claimed by one of them, once.
The schedule lives in the database; the broker only carries "publish this
claimed post now" messages, and a lost message is found again when its claim
goes stale.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from oasis_server.api.context import ServerContext
from oasis_server.db.types import utcnow
from oasis_server.publishing import automations, posts

log = logging.getLogger(__name__)

SendPublish = Callable[[str, str], None]
"""Sends ``(post_id, claim_token)`` to the publish actor."""


def tick(
    context: ServerContext,
    send: SendPublish,
    now: datetime | None = None,
    send_run: automations.SendRun | None = None,
) -> dict[str, int]:
    """One pass: recover stale claims, fail hopeless posts, claim and send due posts and automation runs.

    Without ``send_run`` automation runs are left for a scheduler that has one.
    """
    now = now or utcnow()
    settings = context.settings
    with context.session() as session:
        recovered = posts.recover_stale(session, now, settings.post_lease_seconds, settings.post_max_attempts)
        hopeless = posts.fail_posts_of_failed_videos(session, now)
    with context.sessions() as session:
        due = posts.due_posts(session, now)
    sent = 0
    for post_id in due:
        token = str(uuid.uuid4())
        with context.session() as session:
            if not posts.claim(session, post_id, token, now):
                continue  # another scheduler took it
        try:
            send(post_id, token)
            sent += 1
        except Exception as exc:  # the broker is down: hand the post back for the next pass
            log.warning("Could not queue post %s (%s); it stays pending", post_id, type(exc).__name__)
            with context.session() as session:
                posts.release(session, post_id, token, now)
    started = automations.run_due(context, send_run, now) if send_run is not None else 0
    return {**recovered, "failed_videos": hopeless, "sent": sent, "automations": started}


class Scheduler(threading.Thread):
    """Runs :func:`tick` every ``OASIS_SCHEDULER_INTERVAL`` seconds (with jitter) until stopped."""

    def __init__(
        self, context: ServerContext, send: SendPublish, send_run: automations.SendRun | None = None
    ) -> None:
        super().__init__(name="oasis-scheduler", daemon=True)
        self.context = context
        self.send = send
        self.send_run = send_run
        self.interval = context.settings.scheduler_interval
        self._stopped = threading.Event()

    def run(self) -> None:
        """Tick until :meth:`stop`; a failed pass (database down) is logged and retried."""
        while not self._stopped.is_set():
            try:
                tick(self.context, self.send, send_run=self.send_run)
            except Exception:
                log.exception("A scheduler pass failed; retrying in %.1f s", self.interval)
            self._stopped.wait(self.interval * random.uniform(0.8, 1.2))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop and wait for the current pass to end."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout)
