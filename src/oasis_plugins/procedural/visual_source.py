"""``ProceduralVisualSource``: offline, seeded backgrounds for every style, one per scene."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from itertools import accumulate, pairwise
from pathlib import Path
from typing import ClassVar

from PIL import Image

from oasis_core.domain.catalogue import Style
from oasis_core.domain.media import Aspect, Scene, Visuals
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.procedural.render import RECIPES, render

MIN_SCENE_SECONDS = 5.0
"""The shortest a scene may be; a video too short for two such scenes gets one image."""

MAX_SCENES = 4
"""The most images one video gets; more script parts are grouped."""

OVERSCAN_PERCENT = 115
"""Images are this percentage of the frame in each direction, leaving room for zoom and pan."""


def image_size(aspect: Aspect) -> tuple[int, int]:
    """The pixel size of the images made for ``aspect``: 115 % of the frame, rounded up to even numbers."""

    def grow(pixels: int) -> int:
        size = -(-pixels * OVERSCAN_PERCENT // 100)
        return size + size % 2

    return grow(aspect.width), grow(aspect.height)


def scene_seed(prompt: str, style_id: str, index: int) -> bytes:
    """The SHA-256 digest that seeds scene ``index`` of ``prompt`` in ``style_id`` (whitespace-normalised)."""
    text = " ".join(prompt.split())
    return hashlib.sha256(f"oasis-procedural\n{text}\n{style_id}\n{index}".encode()).digest()


def _group(weights: Sequence[int], groups: int) -> list[int]:
    """Split ``weights`` into ``groups`` contiguous runs of similar totals; return each run's total."""
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    cuts, previous = [], 0
    for k in range(1, groups):
        target = total * k / groups
        candidates = range(previous + 1, len(weights) - (groups - k) + 1)
        cut = min(candidates, key=lambda c: abs(cumulative[c - 1] - target))
        cuts.append(cut)
        previous = cut
    bounds = [0, *cuts, len(weights)]
    return [sum(weights[a:b]) for a, b in pairwise(bounds)]


def plan_scenes(duration: float, scene_texts: Sequence[str]) -> list[tuple[float, float]]:
    """The ``(start, end)`` of each scene, contiguous from 0 to exactly ``duration``.

    One scene per script part (contiguous parts grouped into at most four) when
    there are two or more and each can last five seconds; every scene gets five
    seconds plus a share of the rest in proportion to the length of its text.
    Otherwise one scene.
    """
    count = min(len(scene_texts), MAX_SCENES, int(duration // MIN_SCENE_SECONDS))
    if count < 2:
        return [(0.0, duration)]
    totals = _group([max(len(text.strip()), 1) for text in scene_texts], count)
    spare = duration - count * MIN_SCENE_SECONDS
    ends = [
        MIN_SCENE_SECONDS * (i + 1) + spare * done / sum(totals) for i, done in enumerate(accumulate(totals))
    ]
    ends[-1] = duration
    starts = [0.0, *ends[:-1]]
    return list(zip(starts, ends, strict=True))


class ProceduralVisualSource:
    """Paints backgrounds offline with numpy and Pillow: gradients, light, shapes and texture per style.

    Needs no key and no network. The picture is seeded by the prompt, the style
    and the scene number, so the same request always gives byte-identical
    images and different prompts give different ones.
    """

    id: ClassVar[str] = "procedural"
    name: ClassVar[str] = "Procedural backgrounds (offline)"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

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
        """Write one PNG per scene into ``out_dir`` and return them as scenes covering ``0..duration``.

        Makes one image per script part when there are two or more and each can
        last five seconds (at most four, parts grouped when there are more);
        otherwise one. Raises :class:`InvalidInput` for a duration that is not
        positive or a style this source cannot paint.
        """
        if not (math.isfinite(duration) and duration > 0):
            raise InvalidInput(
                f"The duration must be a positive number of seconds, not {duration}", field="duration"
            )
        if style.id not in RECIPES:
            raise InvalidInput(
                f"The procedural visual source cannot paint the style {style.id!r}",
                field="style",
                choices=tuple(RECIPES),
            )
        width, height = image_size(aspect)
        out_dir = Path(out_dir)
        scenes = []
        for index, (start, end) in enumerate(plan_scenes(duration, scene_texts)):
            seed = scene_seed(prompt, style.id, index)
            path = out_dir / f"procedural-{style.id}-{width}x{height}-{index + 1}-{seed.hex()[:16]}.png"
            _save(render(style.id, seed, width, height), path)
            scenes.append(Scene(path, start, end))
        return Visuals(tuple(scenes), style=style.id, usage={"images": len(scenes)})


def _save(image: Image.Image, path: Path) -> None:
    """Write ``image`` as a PNG to a temporary name beside ``path``, then rename it into place."""
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(temporary, format="PNG", compress_level=1)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ProviderError(
            f"Could not write the background image {path}: {exc}", provider="procedural"
        ) from exc
