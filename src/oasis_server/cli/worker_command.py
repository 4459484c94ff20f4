"""``oasis worker``: render jobs from Redis (to be completed with the render jobs)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add the ``worker`` sub-command."""
