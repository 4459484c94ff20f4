"""The hooks a plugin implements: one ``register_<things>(register)`` per port.

A plugin module defines functions with these names, decorated with
``oasis_core.hookimpl``, and calls ``register(ProviderClass)`` once per
provider. The core owns the ``register`` callback, so it checks each class
against its port, refuses id clashes and remembers which plugin supplied what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("oasis")
hookimpl = pluggy.HookimplMarker("oasis")

Register = Callable[[type[Any]], None]


@hookspec
def register_language_models(register: Register) -> None:
    """Register :class:`~oasis_core.ports.LanguageModel` provider classes."""


@hookspec
def register_speech_engines(register: Register) -> None:
    """Register :class:`~oasis_core.ports.SpeechEngine` provider classes."""


@hookspec
def register_visual_sources(register: Register) -> None:
    """Register :class:`~oasis_core.ports.VisualSource` provider classes."""


@hookspec
def register_compositors(register: Register) -> None:
    """Register :class:`~oasis_core.ports.Compositor` provider classes."""


@hookspec
def register_blob_stores(register: Register) -> None:
    """Register :class:`~oasis_core.ports.BlobStore` provider classes."""


@hookspec
def register_publishers(register: Register) -> None:
    """Register :class:`~oasis_core.ports.Publisher` provider classes."""
