"""Worker heartbeats in Redis, so the API can tell "queued" from "queued, and nobody is rendering".

With ``REDIS_URL`` set, ``oasis serve`` only queues renders; if no
``oasis worker`` runs, jobs used to wait silently. Each consuming worker
process now writes its id and the time into one Redis sorted set every
:data:`BEAT_SECONDS`; ``/api/health`` counts the workers seen within
:data:`SEEN_SECONDS`, and a video's status says when it waits with none.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WORKERS_KEY = "oasis:workers"
BEAT_SECONDS = 10.0
SEEN_SECONDS = 60.0
"""A worker not heard from for this long counts as gone."""
FORGET_SECONDS = 24 * 3600.0
"""Entries older than this are removed from the set."""
CENSUS_CACHE_SECONDS = 5.0
NO_WORKER_MESSAGE = (
    "Waiting for a worker: none has been seen in the last minute, so this video will start rendering "
    "once one runs (an admin starts it with `oasis worker`)"
)


def worker_id() -> str:
    """An id that names this process: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Heartbeat(threading.Thread):
    """Writes this worker's heartbeat every :data:`BEAT_SECONDS` until stopped; a Redis outage is logged."""

    def __init__(self, redis: Any, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(name="oasis-heartbeat", daemon=True)
        self.redis = redis
        self.id = worker_id()
        self.clock = clock
        self._stopped = threading.Event()

    def beat(self) -> None:
        """Record that this worker is alive now, and forget workers silent for a day."""
        now = self.clock()
        pipe = self.redis.pipeline()
        pipe.zadd(WORKERS_KEY, {self.id: now})
        pipe.zremrangebyscore(WORKERS_KEY, 0, now - FORGET_SECONDS)
        pipe.execute()

    def start(self) -> None:
        """Beat once now (the worker counts from the moment it starts), then every :data:`BEAT_SECONDS`."""
        self._beat_logged()
        super().start()

    def run(self) -> None:
        """Beat until :meth:`stop`."""
        while not self._stopped.wait(BEAT_SECONDS):
            self._beat_logged()

    def _beat_logged(self) -> None:
        try:
            self.beat()
        except RedisError as exc:
            log.warning("Could not write the worker heartbeat: %s", exc)

    def stop(self) -> None:
        """Stop beating and remove this worker from the set at once."""
        self._stopped.set()
        with contextlib.suppress(RedisError):  # else it ages out after SEEN_SECONDS
            self.redis.zrem(WORKERS_KEY, self.id)


def workers_seen(redis: Any, *, now: float | None = None) -> int:
    """How many worker processes wrote a heartbeat within :data:`SEEN_SECONDS`."""
    now = time.time() if now is None else now
    return int(redis.zcount(WORKERS_KEY, now - SEEN_SECONDS, "+inf"))


class WorkerCensus:
    """:func:`workers_seen`, asked of Redis at most every :data:`CENSUS_CACHE_SECONDS` per process.

    Status requests are polled by every open dashboard; they need not each
    ask Redis.
    """

    def __init__(self, redis: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis
        self.clock = clock
        self._lock = threading.Lock()
        self._value: tuple[float, int] | None = None

    def count(self) -> int:
        """Workers seen recently (raises :class:`RedisError` if Redis cannot be asked)."""
        with self._lock:
            if self._value is not None and self.clock() - self._value[0] < CENSUS_CACHE_SECONDS:
                return self._value[1]
        seen = workers_seen(self.redis)
        with self._lock:
            self._value = (self.clock(), seen)
        return seen


_censuses: dict[int, WorkerCensus] = {}


def census_of(redis: Any) -> WorkerCensus:
    """The process's :class:`WorkerCensus` for a Redis client."""
    census = _censuses.get(id(redis))
    if census is None or census.redis is not redis:
        census = _censuses[id(redis)] = WorkerCensus(redis)
    return census


def waiting_message(redis: Any, *, waiting: bool) -> str | None:
    """:data:`NO_WORKER_MESSAGE` for a job ``waiting`` to be claimed while no worker is seen, else ``None``.

    Without Redis the server renders in-process, so there is always a worker.
    """
    if redis is None or not waiting:
        return None
    try:
        return NO_WORKER_MESSAGE if census_of(redis).count() == 0 else None
    except RedisError:
        return None  # the health route reports the broker down
