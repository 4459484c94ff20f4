"""The ``procedural`` visual source: offline backgrounds painted with numpy and Pillow, one look per style."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.procedural.visual_source import ProceduralVisualSource

__all__ = ["ProceduralVisualSource", "register_visual_sources"]


@hookimpl
def register_visual_sources(register: Register) -> None:
    """Register :class:`ProceduralVisualSource`."""
    register(ProceduralVisualSource)
