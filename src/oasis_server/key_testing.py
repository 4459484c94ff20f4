"""Checking a user's provider key against the provider itself (``POST /api/keys/test``).

A provider class may define an optional classmethod ``verify_key(config)``
(see :mod:`oasis_core.ports.provider`): it makes the cheapest real call the
service offers with ``config.key`` and returns a short success message, or
raises :class:`NeedsCredentials` (key refused), :class:`RetryableProviderError`
(rate limit, timeout, network) or :class:`ProviderError`. This module finds a
provider that can check a key, runs the check in a thread with a time limit,
and turns the outcome into a message that tells those cases apart. The key
itself never appears in a message or a log line.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from attrs import frozen

from oasis_core.catalog import ProviderCatalog, ProviderInfo
from oasis_core.domain.keys import KeyStatus, key_hint
from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 20.0
MAX_MESSAGE_LENGTH = 500  # the width of ``api_keys.message``
_RATE_LIMIT = re.compile(r"rate.?limit|too many requests|\b429\b|quota", re.IGNORECASE)
_T = TypeVar("_T")


@frozen
class KeyCheck:
    """The outcome of one check: whether the key worked, and a message for its owner."""

    ok: bool
    message: str
    checked_by: str | None = None

    @property
    def status(self) -> KeyStatus:
        """``success`` or ``failed``."""
        return KeyStatus.SUCCESS if self.ok else KeyStatus.FAILED


class CallTimedOut(Exception):
    """A provider call did not finish in time (distinct from a ``TimeoutError`` the provider raises)."""


def key_names(catalog: ProviderCatalog) -> tuple[str, ...]:
    """The key names the installed providers use (their ``needs_key`` values), sorted."""
    return tuple(sorted({info.needs_key for info in catalog if info.needs_key}))


def can_verify(info: ProviderInfo) -> bool:
    """Whether the provider class defines ``verify_key`` as a classmethod (or staticmethod)."""
    try:
        attribute = inspect.getattr_static(info.factory, "verify_key")
    except AttributeError:
        return False
    return isinstance(attribute, classmethod | staticmethod)


def key_checker(catalog: ProviderCatalog, key_name: str) -> ProviderInfo | None:
    """The first installed provider that uses ``key_name`` and can check it, if any."""
    for info in catalog:
        if info.needs_key == key_name and can_verify(info):
            return info
    return None


def check_key(
    catalog: ProviderCatalog,
    key_name: str,
    key: str,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = CHECK_TIMEOUT_SECONDS,
) -> KeyCheck:
    """Ask the provider that uses ``key_name`` whether ``key`` works; never raises for a provider failure.

    The provider gets the settings it takes from ``environ`` (its base URL, say).
    """
    info = key_checker(catalog, key_name)
    if info is None:
        return KeyCheck(
            False,
            f"No installed provider can check a {key_name} key; it will be tried the first time "
            "a video uses it",
        )
    config = ProviderConfig(key=key, settings=info.settings_from(environ or {}))
    label = info.name or info.id
    verify: Callable[[ProviderConfig], object] = info.factory.verify_key
    try:
        result = run_with_timeout(lambda: verify(config), timeout)
    except CallTimedOut:
        message = (
            f"Could not check the key: {label} did not answer within {timeout:g} seconds "
            "(network trouble or the service is slow); try again later"
        )
    except NeedsCredentials as exc:
        message = f"{label} refused this key ({_detail(exc, key)}); check it and save it again"
    except RetryableProviderError as exc:
        if exc.retry_after is not None or _RATE_LIMIT.search(exc.message):
            wait = f" in {int(exc.retry_after + 0.999)} seconds" if exc.retry_after else " later"
            message = (
                f"{label} is rate limiting requests, so the key could not be checked now "
                f"({_detail(exc, key)}); try again{wait}"
            )
        else:
            message = (
                f"Could not reach {label} to check the key: network trouble or the service is down "
                f"({_detail(exc, key)}); try again later"
            )
    except ProviderError as exc:
        message = f"{label} could not check the key ({_detail(exc, key)})"
    except OSError as exc:  # a provider that let a socket error escape
        message = (
            f"Could not reach {label} to check the key: network trouble ({type(exc).__name__}); "
            "try again later"
        )
    except Exception as exc:  # a broken plugin: log its kind, never its text (it may hold the key)
        log.error("verify_key of provider %s failed unexpectedly: %s", info.id, type(exc).__name__)
        message = f"{label} failed unexpectedly while checking the key ({type(exc).__name__})"
    else:
        text = _without_key(str(result or "").strip(), key) if result else ""
        return KeyCheck(True, _clip(text or f"{label} accepted the key"), info.id)
    return KeyCheck(False, _clip(message), info.id)


def run_with_timeout(func: Callable[[], _T], timeout: float) -> _T:
    """Run ``func`` in a daemon thread and return its result (or raise its error).

    Raises :class:`CallTimedOut` if it takes longer than ``timeout`` seconds.

    A thread that overruns is left to finish on its own (providers set their
    own HTTP timeouts); being a daemon, it never holds up shutdown.
    """
    values: list[_T] = []
    errors: list[Exception] = []
    done = threading.Event()

    def target() -> None:
        try:
            values.append(func())
        except Exception as exc:
            errors.append(exc)
        finally:
            done.set()

    threading.Thread(target=target, name="oasis-key-check", daemon=True).start()
    if not done.wait(timeout):
        raise CallTimedOut
    if errors:
        raise errors[0]
    return values[0]


def _detail(exc: Exception, key: str) -> str:
    """The provider's message, without the key in it."""
    return _without_key(str(exc).strip(), key) or type(exc).__name__


def _without_key(text: str, key: str) -> str:
    """``text`` with the key masked; a text holding a key too short to mask safely is dropped."""
    if not key or key not in text:
        return text
    if len(key) >= 8:
        return text.replace(key, key_hint(key))
    return ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 1] + "…"
