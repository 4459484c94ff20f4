"""The Dramatiq broker: Redis when ``REDIS_URL`` is set, else an in-process stub.

Nothing here touches Dramatiq's global broker: each process (or test) builds
its own broker and declares its actors on it, so several apps can live in one
process.

Redis settings, chosen on purpose (see docs/reference on Dramatiq delivery):

``heartbeat_timeout`` = 60 s
    How long a worker process may go without talking to Redis before its
    fetched-but-unacknowledged messages are handed to other workers. Live
    workers talk to Redis at least every second (the delay-queue consumer
    polls), so 60 s only triggers for dead processes; it is kept well above
    GC or I/O pauses. A SIGKILLed render is also found by the sweeper once
    its database lease (``OASIS_VIDEO_LEASE_SECONDS``) runs out, whichever
    comes first; the database claim makes the second delivery a no-op.
``maintenance_chance`` = 10,000 per million (1 %)
    The share of broker commands that run the maintenance script which
    re-queues those abandoned messages. Dramatiq's default (0.1 %) can leave
    them for many minutes on a quiet queue; 1 % of a handful of commands per
    second brings them back within seconds of the timeout, and the script is
    cheap with few workers.
"""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, TimeLimit

from oasis_server.settings import Settings

NAMESPACE = "oasis"
RENDER_QUEUE = "videos"
PUBLISH_QUEUE = "posts"
AUTOMATION_QUEUE = "automations"
AUTOMATION_TIME_LIMIT_MS = 10 * 60 * 1000
"""An automation run (writing the text, queueing the render) that runs longer than this is interrupted."""
PUBLISH_TIME_LIMIT_MS = 2 * 60 * 60 * 1000
"""An upload that runs longer than this is interrupted; the post is retried from its platform id."""
HEARTBEAT_TIMEOUT_MS = 60_000
MAINTENANCE_CHANCE = 10_000
RENDER_TIME_LIMIT_MS = 30 * 60 * 1000
"""A render that runs longer than this is interrupted and fails."""
RENDER_MAX_RETRIES = 2
"""Retries of a message whose handler raised (database down); the sweeper is the real safety net."""

_time_limit = TimeLimit(time_limit=RENDER_TIME_LIMIT_MS, interval=1000)
_time_limit_started = False
_time_limit_lock = threading.Lock()


def _shared_time_limit() -> TimeLimit:
    """One time-limit middleware (and its one watchdog thread) for every broker of this process."""
    global _time_limit_started
    with _time_limit_lock:
        if not _time_limit_started:
            _time_limit.manager.start()
            _time_limit_started = True
    return _time_limit


def build_broker(settings: Settings, *, consume: bool = True) -> dramatiq.Broker:
    """A Redis broker for ``REDIS_URL``, else an in-memory stub for the in-process worker.

    A broker that only sends (the API's) gives up on a hung Redis after 3 s,
    so a request that queues a render is never held up longer than that.
    """
    middleware = [_shared_time_limit(), Retries(max_retries=RENDER_MAX_RETRIES)]
    if not settings.redis_url:
        return StubBroker(middleware=middleware)
    import redis
    from dramatiq.brokers.redis import RedisBroker

    timeout = 15 if consume else 3
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=min(5, timeout), socket_timeout=timeout
    )
    return RedisBroker(
        client=client,
        middleware=middleware,
        namespace=NAMESPACE,
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
