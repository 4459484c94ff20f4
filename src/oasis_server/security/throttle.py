"""Login throttling that slows guessing down without letting anyone lock a user out.

Failures are counted per account *and* address, per address, and per account
over all addresses (in Redis when there is one, so every API process shares
them). Past a limit an address must wait before its next try, a wait that
starts short and doubles with each further failure, up to a cap: never a long
hard lock. The account-wide count never refuses an address that has not
failed on the account, so an attacker cannot keep a user who has the right
password out, whatever they send from elsewhere; it only cuts each address
down to one try before its waits begin.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from attrs import frozen
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
"""How often the in-memory counter drops the windows that have expired."""
FIRST_WAIT_SECONDS = 2


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
    """Counters in this process (the embedded default).

    Expired windows are dropped at most :data:`SWEEP_SECONDS` after they
    expire, so keys made up by a client (random emails, spoofed addresses)
    do not pile up for the life of the process.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    def __len__(self) -> int:
        """How many windows are kept (expired ones not yet swept included)."""
        return len(self._counts)

    def hit(self, key: str, window: int) -> int:
        """See :class:`Counter`."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            count, expires = self._counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            self._counts[key] = (count + 1, expires)
            return count + 1

    def count(self, key: str) -> tuple[int, int]:
        """See :class:`Counter`."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            count, expires = self._counts.get(key, (0, now))
            if expires <= now:
                return 0, 0
            return count, max(1, int(expires - now + 0.999))

    def reset(self, key: str) -> None:
        """See :class:`Counter`."""
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        for key in [key for key, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]


class RedisCounter:
    """Counters in Redis, shared by every API process; Redis expires them itself.

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


@frozen
class ThrottlePolicy:
    """The limits of :class:`LoginThrottle` (``OASIS_LOGIN_*`` settings)."""

    account_address_limit: int = 10
    """Failures on one account from one address before that address waits."""
    address_limit: int = 100
    """Failures from one address, over all accounts, before it waits: high, for offices behind one address."""
    account_limit: int = 100
    """Failures on one account from all addresses before each address gets only one try."""
    window: int = 900
    """Seconds a count lives after its first failure."""
    max_wait: int = 300
    """The longest wait; waits start at :data:`FIRST_WAIT_SECONDS` and double with each further failure."""

    def wait(self, excess: int) -> int:
        """The wait after a failure ``excess`` failures past a limit (0 for the failure that reached it)."""
        return min(self.max_wait, FIRST_WAIT_SECONDS << min(excess, 30))


class LoginThrottle:
    """Decides whether a sign-in may be tried now, and records failures and successes."""

    def __init__(self, counter: Counter, policy: ThrottlePolicy) -> None:
        self.counter = counter
        self.policy = policy

    def retry_after(self, email: str, address: str) -> int | None:
        """Seconds ``address`` must wait before trying ``email`` again, or ``None`` if it may try now."""
        waits = [self.counter.count(f"wait:{key}")[1] for key in (_pair(email, address), f"addr:{address}")]
        return max(waits) if any(waits) else None

    def failed(self, email: str, address: str) -> None:
        """Count a failed attempt; past a limit, make the address wait before its next one."""
        policy = self.policy
        pair = _pair(email, address)
        pair_count = self.counter.hit(pair, policy.window)
        address_count = self.counter.hit(f"addr:{address}", policy.window)
        account_count = self.counter.hit(f"acct:{email}", policy.window)
        pair_limit = 1 if account_count >= policy.account_limit else policy.account_address_limit
        if pair_count >= pair_limit:
            self._wait(pair, policy.wait(pair_count - pair_limit))
        if address_count >= policy.address_limit:
            self._wait(f"addr:{address}", policy.wait(address_count - policy.address_limit))

    def succeeded(self, email: str, address: str) -> None:
        """A successful sign-in clears the account's count for this address."""
        pair = _pair(email, address)
        self.counter.reset(pair)
        self.counter.reset(f"wait:{pair}")

    def _wait(self, key: str, seconds: int) -> None:
        self.counter.reset(f"wait:{key}")
        self.counter.hit(f"wait:{key}", seconds)


def _pair(email: str, address: str) -> str:
    return f"pair:{address}:{email}"
