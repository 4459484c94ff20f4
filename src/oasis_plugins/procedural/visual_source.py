"""``ProceduralVisualSource``: offline, seeded backgrounds for every style, one per scene."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from PIL import Image

from oasis_core.domain.catalogue import Style
from oasis_core.domain.media import Aspect, Scene, Visuals
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.services.scenes import overscan_size, plan_scene_groups
from oasis_plugins.procedural.render import RECIPES, render

MIN_SCENE_SECONDS = 5.0
"""The shortest a scene may be; a video too short for two such scenes gets one image."""

MAX_SCENES = 4
"""The most images one video gets; more script parts are grouped."""


def scene_seed(prompt: str, style_id: str, index: int) -> bytes:
    """The SHA-256 digest that seeds scene ``index`` of ``prompt`` in ``style_id`` (whitespace-normalised)."""
    text = " ".join(prompt.split())
    return hashlib.sha256(f"oasis-procedural\n{text}\n{style_id}\n{index}".encode()).digest()


def plan_scenes(duration: float, scene_texts: Sequence[str]) -> list[tuple[float, float]]:
    """The ``(start, end)`` of each scene, contiguous from 0 to exactly ``duration``.

    One scene per script part (contiguous parts grouped into at most four) when
    there are two or more and each can last five seconds; every scene gets five
    seconds plus a share of the rest in proportion to the length of its text.
    Otherwise one scene.
    """
    weights = [max(len(text.strip()), 1) for text in scene_texts]
    groups = plan_scene_groups(duration, weights, max_scenes=MAX_SCENES, min_seconds=MIN_SCENE_SECONDS)
    return [(start, end) for start, end, _, _ in groups]


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
        width, height = overscan_size(aspect)
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
