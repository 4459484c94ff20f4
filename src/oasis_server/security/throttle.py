"""Login throttling: failures counted per account and per client address, in Redis when there is one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Counter(Protocol):
    """A store of expiring counters."""

    def hit(self, key: str, window: int) -> int:
        """Add one to ``key`` (expiring ``window`` seconds after its first hit) and return the count."""
        ...

    def count(self, key: str) -> tuple[int, int]:
        """The count and the seconds until it expires."""
        ...

    def reset(self, key: str) -> None:
        """Forget ``key``."""
        ...


class MemoryCounter:
    """Counters in this process (the embedded default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, window: int) -> int:
        """See :class:`Counter`."""
        now = self._clock()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            self._counts[key] = (count + 1, expires)
            return count + 1

    def count(self, key: str) -> tuple[int, int]:
        """See :class:`Counter`."""
        now = self._clock()
        with self._lock:
            count, expires = self._counts.get(key, (0, now))
            if expires <= now:
                return 0, 0
            return count, max(1, int(expires - now + 0.999))

    def reset(self, key: str) -> None:
        """See :class:`Counter`."""
        with self._lock:
            self._counts.pop(key, None)


class RedisCounter:
    """Counters in Redis, shared by every API process.

    While Redis is unreachable it counts in this process instead (still
    throttling, per process), so signing in keeps working through an outage.
    """

    def __init__(self, client: object, prefix: str = "oasis:throttle:") -> None:
        self._redis = client
        self._prefix = prefix
        self._fallback = MemoryCounter()

    def hit(self, key: str, window: int) -> int:
        """See :class:`Counter`."""
        name = self._prefix + key
        try:
            pipe = self._redis.pipeline()  # type: ignore[attr-defined]
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            count, _ = pipe.execute()
        except RedisError:
            log.warning("Redis is unreachable; counting sign-in failures in this process")
            return self._fallback.hit(key, window)
        return int(count)

    def count(self, key: str) -> tuple[int, int]:
        """See :class:`Counter`."""
        name = self._prefix + key
        try:
            pipe = self._redis.pipeline()  # type: ignore[attr-defined]
            pipe.get(name)
            pipe.ttl(name)
            value, ttl = pipe.execute()
        except RedisError:
            return self._fallback.count(key)
        return (int(value or 0), max(1, int(ttl))) if value else (0, 0)

    def reset(self, key: str) -> None:
        """See :class:`Counter`."""
        self._fallback.reset(key)
        try:
            self._redis.delete(self._prefix + key)  # type: ignore[attr-defined]
        except RedisError:
            log.warning("Redis is unreachable; a sign-in counter was not reset")


class LoginThrottle:
    """Refuses logins after ``limit`` failures in ``window`` seconds, per email and per address."""

    def __init__(self, counter: Counter, limit: int, window: int) -> None:
        self.counter = counter
        self.limit = limit
        self.window = window
        self.address_limit = limit * 5  # an office behind one address: stricter per account than per address

    def retry_after(self, email: str, address: str) -> int | None:
        """Seconds to wait if either counter is over its limit, else ``None``."""
        waits = []
        for key, limit in ((f"email:{email}", self.limit), (f"addr:{address}", self.address_limit)):
            count, ttl = self.counter.count(key)
            if count >= limit:
                waits.append(ttl)
        return max(waits) if waits else None

    def failed(self, email: str, address: str) -> None:
        """Count a failed attempt."""
        self.counter.hit(f"email:{email}", self.window)
        self.counter.hit(f"addr:{address}", self.window)

    def succeeded(self, email: str) -> None:
        """A successful login clears the account's counter."""
        self.counter.reset(f"email:{email}")
