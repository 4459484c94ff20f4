"""The ``youtube`` plugin: publishes Shorts with the YouTube Data API v3 (google-api-python-client)."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.youtube.publisher import YouTubePublisher

__all__ = ["YouTubePublisher", "register_publishers"]


@hookimpl
def register_publishers(register: Register) -> None:
    """Register :class:`YouTubePublisher`."""
    register(YouTubePublisher)
