"""What the SDK's :class:`~oasis_core.studio.Studio` plans and answers: a checked render and a finished video."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from attrs import frozen

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionStyle
from oasis_core.domain.script import DEFAULT_SCRIPT_SECONDS, ScriptScene
from oasis_core.domain.video import RenderStage
from oasis_core.services.render import RenderProviders

ProgressCallback = Callable[[RenderStage, int], None]
"""Called with the current stage and the overall progress, 0–100."""


@frozen
class RenderPlan:
    """A checked render, ready to run: the choices and the providers built for them."""

    category: str
    style: str
    aspect: str
    text: str | None
    visual_prompt: str | None
    voice: str | None
    rate: float
    music_path: Path | None
    providers: RenderProviders
    output_path: Path
    llm: str | None
    language: str | None = None
    captions: CaptionStyle = DEFAULT_CAPTION_STYLE
    topic: str | None = None
    """A topic to write a narrated script about (instead of a quote), ``length`` seconds long."""
    length: int = DEFAULT_SCRIPT_SECONDS
    script_category: str | None = None
    """The category a script was asked in (``None``: the language model picks the nearest)."""


@frozen
class RenderResult:
    """A finished video: its file, thumbnail, length, size and the words and picture it holds."""

    path: Path
    thumbnail: Path
    duration: float
    size_bytes: int
    width: int
    height: int
    text: str
    author: str | None
    visual_prompt: str
    usage: dict[str, dict[str, int]]
    scenes: tuple[ScriptScene, ...] = ()
    """A script's scenes, for a video rendered from a topic."""
