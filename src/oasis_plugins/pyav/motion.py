"""Camera motion and scene timing: how long each still is on screen and how it moves."""

from __future__ import annotations

import hashlib
import math

from attrs import frozen

from oasis_core.domain.media import Scene

ZOOM = 0.09
"""How far the slow zoom travels over one scene (9 % of the frame)."""

SOURCE_MARGIN = 1.12
"""Stills are prepared this much larger than the frame, so the pan never shows an edge."""

CROSSFADE = 0.6
"""Seconds of cross-fade between two scenes."""


@frozen
class Clip:
    """One scene's stretch in the output: frame count, zoom direction and pan."""

    frames: int
    zoom_in: bool
    pan: float  # -1.0 … 1.0: share of the spare width travelled, and which way


def plan_clips(scenes: tuple[Scene, ...], duration: float, fps: int) -> tuple[tuple[Clip, ...], float]:
    """Frame counts and motion for each scene, and the cross-fade length used between them.

    With cross-fades each inner boundary gains half a fade on either side, so
    the fades are centred on the scene boundaries and the total stays
    ``duration``. The last clip gets two spare frames; the encoder stops at
    the exact frame count.
    """
    fade = CROSSFADE if len(scenes) > 1 else 0.0
    clips = []
    for index, scene in enumerate(scenes):
        start = 0.0 if index == 0 else scene.start - fade / 2
        end = duration if index == len(scenes) - 1 else scene.end + fade / 2
        frames = max(2, math.ceil((end - start) * fps)) + (2 if index == len(scenes) - 1 else 0)
        digest = hashlib.sha256(f"{scene.image_path.name}:{index}".encode()).digest()
        pan = (digest[0] / 255.0 - 0.5) * 1.2
        clips.append(Clip(frames, index % 2 == 0, pan))
    return tuple(clips), fade


def source_size(width: int, height: int) -> tuple[int, int]:
    """The size stills are prepared at for a ``width`` x ``height`` frame (even numbers)."""

    def even(value: float) -> int:
        rounded = math.ceil(value)
        return rounded + rounded % 2

    return even(width * SOURCE_MARGIN), even(height * SOURCE_MARGIN)


def scale_and_crop(clip: Clip, width: int, height: int, source_width: int) -> tuple[str, str]:
    """FFmpeg ``scale`` and ``crop`` arguments for one clip's Ken Burns motion.

    The still is scaled per frame between ``1.0`` and ``1.0 + ZOOM`` of the
    frame's size (never below it), then cropped to the frame with a drift
    of ``pan`` across the spare width.
    """
    last = max(1, clip.frames - 1)
    progress = f"(n/{last})" if clip.zoom_in else f"(1-n/{last})"
    factor = f"(1+{ZOOM}*{progress})"
    scale = f"w='2*trunc({width}*{factor}/2)':h='2*trunc({height}*{factor}/2)':eval=frame:flags=bilinear"
    drift = f"{clip.pan:.4f}*(n/{last}-0.5)"
    crop = f"w={width}:h={height}:x='(iw-{width})*(0.5+{drift})':y='(ih-{height})/2':exact=1"
    return scale, crop
