"""The ``tiktok`` plugin: publishing to TikTok through its Content Posting API (Direct Post, file upload)."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.tiktok.publisher import TikTokPublisher

__all__ = ["TikTokPublisher", "register_publishers"]


@hookimpl
def register_publishers(register: Register) -> None:
    """Register :class:`TikTokPublisher`."""
    register(TikTokPublisher)
