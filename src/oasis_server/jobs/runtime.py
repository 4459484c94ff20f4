"""Wiring the job queue into a process (to be completed with the render jobs)."""

from __future__ import annotations

from collections.abc import Callable

from oasis_server.api.context import ServerContext


def attach(context: ServerContext, *, embedded_worker: bool) -> Callable[[], None]:
    """Connect ``context.enqueue_render`` to the broker; start an in-process worker if asked.

    Returns a function that stops what was started.
    """
    return lambda: None
