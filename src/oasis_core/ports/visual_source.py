"""The ``VisualSource`` port: makes the pictures a video animates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from oasis_core.domain.catalogue import Style
from oasis_core.domain.media import Aspect, Visuals
from oasis_core.ports.provider import Provider


@runtime_checkable
class VisualSource(Provider, Protocol):
    """Makes one or more still images from a visual prompt and a style.

    Register implementations with the ``register_visual_sources`` hook.
    """

    def create(
        self,
        prompt: str,
        style: Style,
        aspect: Aspect,
        duration: float,
        out_dir: Path,
        *,
        scene_texts: Sequence[str] = (),
    ) -> Visuals:
        """Write images into ``out_dir`` and return them as scenes covering ``0..duration``.

        Each image is at least ``aspect.width`` x ``aspect.height`` pixels (larger
        leaves room for camera motion) in a format Pillow and PyAV read (PNG or
        JPEG). ``scene_texts`` are the parts of the script, in order; a source
        that makes one image per part uses them, others may ignore them. The
        same prompt and style should give the same picture.
        """
        ...
