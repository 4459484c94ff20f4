"""A user's own provider key, as the domain sees it (never the key itself)."""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import frozen


class KeyStatus(enum.StrEnum):
    """The result of the last test of a key."""

    UNTESTED = "untested"
    SUCCESS = "success"
    FAILED = "failed"


def key_hint(secret: str) -> str:
    """Show at most the last four characters of a key, never more than a quarter of it."""
    visible = min(4, len(secret) // 4)
    return "…" + secret[-visible:] if visible else "…"


@frozen
class ApiKey:
    """A saved key: which provider it is for, a hint to recognise it, and its test status."""

    provider: str
    key_hint: str
    status: KeyStatus = KeyStatus.UNTESTED
    last_tested: datetime | None = None
