"""Routes still to be written."""

from __future__ import annotations

ROUTES: list[object] = []
