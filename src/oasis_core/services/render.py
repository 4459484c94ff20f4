"""The render use case: text → speech → visuals → composed MP4 (→ stored), with progress."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from attrs import field, frozen

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionStyle, caption_style_from
from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.language import optional_language_tag, voice_for_language
from oasis_core.domain.media import RenderedVideo, get_aspect, validate_text
from oasis_core.domain.script import MAX_SCRIPT_TEXT, ScriptScene, narration
from oasis_core.domain.video import RenderStage
from oasis_core.errors import InvalidInput
from oasis_core.ports import BlobStore, Composition, Compositor, SpeechEngine, VisualSource
from oasis_core.ports.speech_engine import speaking_rate, synthesize_speech
from oasis_core.services.captions import plan_captions
from oasis_core.services.ending import optional_attribution, plan_ending
from oasis_core.services.scene_cuts import create_scene_visuals, plan_scene_captions, plan_shots, scene_starts

log = logging.getLogger(__name__)

StageCallback = Callable[[RenderStage, float], None]
"""Called with the current stage and how far it has got (0.0–1.0)."""

TAIL_SECONDS = 1.2
"""Silence kept after the last word, so the video does not end abruptly."""

_SENTENCE = re.compile(r"(?<=[.!?…;])\s+")


def _scene_tuple(scenes: Iterable[ScriptScene]) -> tuple[ScriptScene, ...]:
    return tuple(scenes)


def _render_text(text: str) -> str:
    return validate_text(text, limit=MAX_SCRIPT_TEXT)  # a quote's own limit is checked after init


@frozen
class RenderRequest:
    """What to render: the text to speak, the picture to show and how to shape it.

    ``category`` (a category id, or ``None``) reaches only speech engines that
    take it (:class:`~oasis_core.ports.speech_engine.CategorySpeechEngine`), to
    speak in the category's mood.
    """

    text: str = field(converter=_render_text)
    visual_prompt: str
    style: str
    aspect: str = "9:16"
    voice: str | None = None
    rate: float = 1.0
    music_path: Path | None = None
    category: str | None = None
    max_seconds: float | None = None
    """The longest video allowed: speech that runs longer fails the render with :class:`InvalidInput`."""
    language: str | None = field(default=None, converter=optional_language_tag)
    """The language of ``text`` (a BCP 47 tag): picks the voice when none is named, and the caption fonts."""
    attribution: str | None = field(default=None, converter=optional_attribution)
    """Who said or wrote ``text`` (``"Epictetus"``): the video ends on a card naming them."""
    captions: CaptionStyle = field(default=DEFAULT_CAPTION_STYLE, converter=caption_style_from)
    """How the captions look: a :class:`CaptionStyle`, a preset name or saved style settings."""
    scenes: tuple[ScriptScene, ...] = field(default=(), converter=_scene_tuple)
    """A script's scenes (``text`` is then their narration joined): each scene's picture comes from its
    own visual prompt (``visual_prompt`` where it has none) and appears with its first spoken word."""

    def __attrs_post_init__(self) -> None:
        if not self.scenes:
            validate_text(self.text)  # a single text keeps the quote's limit
        elif self.text != narration(self.scenes):
            raise InvalidInput("The text must be the scenes' texts joined", field="scenes")


@frozen
class RenderProviders:
    """The providers one render uses."""

    speech: SpeechEngine
    visuals: VisualSource
    compositor: Compositor


@frozen
class RenderOutcome:
    """A finished render: the video and what each provider used (characters, images …)."""

    video: RenderedVideo
    usage: dict[str, dict[str, int]]


def split_sentences(text: str) -> tuple[str, ...]:
    """Split a script into sentences (one scene each for sources that make several images)."""
    return tuple(part for part in _SENTENCE.split(text.strip()) if part)


def check_choices(style: str, aspect: str, rate: float, music_path: Path | None) -> None:
    """Raise :class:`InvalidInput` for a style, aspect, rate or music file that cannot be used."""
    get_style(style)
    get_aspect(aspect)
    speaking_rate(rate)
    if music_path is not None and not music_path.is_file():
        raise InvalidInput(f"The music file {str(music_path)!r} does not exist", field="music")


def language_voice(engine: SpeechEngine, language: str | None) -> str | None:
    """The id of ``engine``'s voice for ``language`` (see :func:`voice_for_language`), or ``None``.

    ``None`` (the engine's default voice) also when no voice of the engine
    claims the language: many engines (OpenAI, ElevenLabs) speak other
    languages with the same voices, so the render goes on, and a warning says so.
    """
    if language is None:
        return None
    chosen = voice_for_language(engine.voices(), language)
    if chosen is None:
        log.warning("The %s speech engine has no voice for %r; its default voice speaks", engine.id, language)
        return None
    return chosen.id


def check_length(duration: float, max_seconds: float | None) -> None:
    """Raise :class:`InvalidInput` when a video of ``duration`` seconds would be longer than ``max_seconds``."""
    if max_seconds is not None and duration > max_seconds:
        raise InvalidInput(
            f"The speech lasts {duration:.0f} s, longer than the {max_seconds:g} s a video may last; "
            "shorten the text",
            field="text",
        )


def check_output_path(path: Path) -> None:
    """Raise :class:`InvalidInput` unless a file can be written at ``path``."""
    parent = path.parent if str(path.parent) else Path()
    if path.suffix.lower() != ".mp4":
        raise InvalidInput(f"The output file must end in .mp4, not {path.name!r}", field="output")
    if path.is_dir():
        raise InvalidInput(f"The output path {str(path)!r} is a folder", field="output")
    if not parent.is_dir():
        raise InvalidInput(f"The folder {str(parent)!r} does not exist", field="output")
    if not os.access(parent, os.W_OK):
        raise InvalidInput(f"The folder {str(parent)!r} is not writable", field="output")


def render_video(
    request: RenderRequest,
    providers: RenderProviders,
    *,
    output_path: Path,
    workdir: Path,
    on_progress: StageCallback | None = None,
) -> RenderOutcome:
    """Render ``request`` into ``output_path`` (and a ``.jpg`` thumbnail beside it).

    Reports each stage (speech, visuals, compose) through ``on_progress``.
    The files appear at their final paths only when complete: nothing is left
    behind on failure.
    """
    report = on_progress or (lambda stage, fraction: None)
    check_choices(request.style, request.aspect, request.rate, request.music_path)
    check_output_path(output_path)
    style, aspect = get_style(request.style), get_aspect(request.aspect)
    category = get_category(request.category) if request.category is not None else None

    report(RenderStage.SPEECH, 0.0)
    voice = request.voice or language_voice(providers.speech, request.language)
    speech = synthesize_speech(
        providers.speech, request.text, workdir, voice=voice, rate=request.rate, category=category
    )
    scene_texts = [scene.text for scene in request.scenes]
    phrasing = {"max_words": request.captions.words_per_phrase, "max_chars": request.captions.phrase_columns}
    if request.scenes:  # no caption phrase straddles a scene cut
        captions = plan_scene_captions(speech.words, scene_texts, speech.duration + TAIL_SECONDS, **phrasing)
    else:
        captions = plan_captions(speech.words, speech.duration + TAIL_SECONDS, **phrasing)
    ending = plan_ending(speech.duration, captions, request.attribution, tail=TAIL_SECONDS)
    duration = ending.duration
    check_length(duration, request.max_seconds)
    report(RenderStage.VISUALS, 0.0)
    if request.scenes:
        shots = plan_shots(scene_starts(speech.words, scene_texts), duration)
        visuals = create_scene_visuals(
            providers.visuals,
            request.scenes,
            shots,
            fallback_prompt=request.visual_prompt,
            style=style,
            aspect=aspect,
            workdir=workdir,
        )
    else:
        visuals = providers.visuals.create(
            request.visual_prompt, style, aspect, duration, workdir, scene_texts=split_sentences(request.text)
        )
    report(RenderStage.COMPOSE, 0.0)
    thumbnail_path = output_path.with_suffix(".jpg")
    partial_video = _partial(output_path)
    partial_thumb = _partial(thumbnail_path)
    composition = Composition(
        speech=speech,
        visuals=visuals,
        captions=captions,
        aspect=aspect,
        duration=duration,
        output_path=partial_video,
        thumbnail_path=partial_thumb,
        music_path=request.music_path,
        language=request.language,
        script=request.text,
        end_card=ending.end_card,
        caption_style=request.captions,
    )
    try:
        rendered = providers.compositor.compose(composition, lambda f: report(RenderStage.COMPOSE, f))
        partial_thumb.replace(thumbnail_path)
        partial_video.replace(output_path)
    finally:
        for leftover in (partial_video, partial_thumb):
            leftover.unlink(missing_ok=True)
    video = RenderedVideo(
        output_path, thumbnail_path, rendered.duration, rendered.width, rendered.height, rendered.size_bytes
    )
    usage = {providers.speech.id: dict(speech.usage), providers.visuals.id: dict(visuals.usage)}
    return RenderOutcome(video, {name: counts for name, counts in usage.items() if counts})


PARTIAL_TRIES = 100


def _partial(path: Path) -> Path:
    """A new, empty, uniquely named file beside ``path`` that the compositor writes before the rename.

    Created with mode 0666 less the umask, as ``open()`` makes files: ``mkstemp``
    makes them 0600 whatever the umask and the rename keeps that, so a video
    rendered for a web server or another user would be unreadable to them.
    """
    for _ in range(PARTIAL_TRIES):
        candidate = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.part{path.suffix}")
        try:
            handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(handle)
        return candidate
    raise FileExistsError(f"Could not create a temporary file beside {path}")


@frozen
class StoredVideo:
    """Where a finished video and its thumbnail were stored."""

    video_key: str
    thumbnail_key: str


def store_video(
    store: BlobStore, video: RenderedVideo, prefix: str, on_progress: StageCallback | None = None
) -> StoredVideo:
    """Put a rendered video and its thumbnail into ``store`` under ``prefix``."""
    report = on_progress or (lambda stage, fraction: None)
    report(RenderStage.UPLOAD, 0.0)
    video_key = f"{prefix}/video.mp4"
    thumbnail_key = f"{prefix}/thumbnail.jpg"
    store.put(video_key, video.path, content_type="video/mp4")
    report(RenderStage.UPLOAD, 0.8)
    store.put(thumbnail_key, video.thumbnail_path, content_type="image/jpeg")
    report(RenderStage.UPLOAD, 1.0)
    return StoredVideo(video_key, thumbnail_key)
