"""The ``pyav`` compositor plugin."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.pyav.compositor import PyAVCompositor

__all__ = ["PyAVCompositor"]


@hookimpl
def register_compositors(register: Register) -> None:
    """Register the PyAV compositor."""
    register(PyAVCompositor)
