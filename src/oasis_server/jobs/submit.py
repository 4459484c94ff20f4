"""Creating a video job: check every choice, write the row, then (after commit) queue the render.

The HTTP route and, later, automations call :func:`submit_video`. Nothing is
written or queued unless every choice is valid and every key is at hand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from attrs import field, frozen

from oasis_core.catalog import PortKind
from oasis_core.domain.caption_style import CaptionStyle
from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.language import optional_language_tag
from oasis_core.domain.media import get_aspect, validate_text
from oasis_core.domain.script import MAX_SCRIPT_TEXT, ScriptScene, narration
from oasis_core.errors import InvalidInput
from oasis_core.ports.compositor import CaptionPreviews
from oasis_core.ports.speech_engine import find_voice
from oasis_core.services.ending import optional_attribution
from oasis_core.services.render import language_voice
from oasis_server.api.context import ServerContext
from oasis_server.api.scripts import stored_scenes
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs.limits import check_queue, check_speech_length, hold_queue
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

log = logging.getLogger(__name__)

MAX_TEXT = 1000
MAX_TITLE = 255
MAX_DESCRIPTION = 5000
RENDER_PORTS = (PortKind.SPEECH, PortKind.VISUALS)


def _providers(value: Mapping[str, str | None] | None) -> dict[str, str | None]:
    return dict(value or {})


@frozen
class VideoSpec:
    """What a user asked to render."""

    category: str
    content: str
    visual_prompt: str
    style: str
    title: str | None = None
    description: str | None = None
    voice: str | None = None
    aspect: str | None = None
    providers: dict[str, str | None] = field(factory=dict, converter=_providers)
    language: str | None = None
    captions: CaptionStyle | None = None
    scenes: tuple[ScriptScene, ...] = ()
    """A script's scenes instead of ``content`` (which must then be empty)."""
    author: str | None = None
    """Who said the words; the video ends on a card naming them."""


@frozen
class CheckedVideo:
    """A spec that passed every check, with defaults filled in and providers chosen."""

    category: str
    content: str
    visual_prompt: str
    style: str
    title: str
    description: str | None
    voice: str | None
    aspect: str
    providers: dict[str, str]
    captions: CaptionStyle | None = None
    scenes: tuple[ScriptScene, ...] = ()
    author: str | None = None


def check_video(context: ServerContext, user_id: str, spec: VideoSpec) -> CheckedVideo:
    """Validate ``spec`` for ``user_id``; raises :class:`InvalidInput` or ``NeedsCredentials`` naming the problem."""
    category = get_category(spec.category)
    get_style(spec.style)
    aspect = get_aspect(spec.aspect or "9:16")
    content, visual_prompt = _words_and_picture(spec)
    check_speech_length(content, context.settings.max_video_seconds)
    title = " ".join((spec.title or "").split()) or f"{category.name} video"
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is longer than {MAX_TITLE} characters", field="title")
    description = (spec.description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    with context.sessions() as session:
        choice = ProviderChoice.for_user(context, session, user_id)
    # every provider named is checked (known, key at hand) even if this render does not use it
    every = choice.choose(spec.providers, CHOOSABLE)
    chosen = {kind.value: every[kind.value] for kind in RENDER_PORTS}
    chosen[PortKind.COMPOSITOR.value] = context.catalog.default_id(PortKind.COMPOSITOR)
    voice = spec.voice.strip() if spec.voice and spec.voice.strip() else None
    if voice is not None:
        speech = choice.build(PortKind.SPEECH, chosen[PortKind.SPEECH.value])
        voices = speech.voices()
        ids = [v.id for v in voices]
        if find_voice(voices, voice) is None:
            shown = ids[:20] + (["…"] if len(ids) > 20 else [])
            raise InvalidInput(f"Unknown voice {voice!r} for {speech.id}", field="voice", choices=shown)
    language = optional_language_tag(spec.language)
    if voice is None and language is not None:  # the speech provider's first voice for the language
        voice = language_voice(choice.build(PortKind.SPEECH, chosen[PortKind.SPEECH.value]), language)
    if spec.captions is not None:  # a font that cannot be found is refused now, not by the worker later
        compositor = choice.build(PortKind.COMPOSITOR, chosen[PortKind.COMPOSITOR.value])
        if isinstance(compositor, CaptionPreviews):
            compositor.check_caption_style(spec.captions)
    return CheckedVideo(
        category.id,
        content,
        visual_prompt,
        spec.style,
        title,
        description,
        voice,
        aspect.id,
        chosen,
        spec.captions,
        spec.scenes,
        optional_attribution(spec.author),
    )


def _words_and_picture(spec: VideoSpec) -> tuple[str, str]:
    """The text to speak and the video's visual prompt: given, or (with scenes) drawn from the scenes."""
    if not spec.scenes:
        content = validate_text(spec.content, field_name="content", limit=MAX_TEXT)
        return content, validate_text(spec.visual_prompt, field_name="visual_prompt", limit=MAX_TEXT)
    if spec.content.strip():
        raise InvalidInput("Give content or scenes, not both", field="content")
    content = validate_text(narration(spec.scenes), field_name="scenes", limit=MAX_SCRIPT_TEXT)
    prompts = [spec.visual_prompt, *(scene.visual_prompt for scene in spec.scenes)]
    visual_prompt = next((p for p in prompts if p.strip()), "")
    return content, validate_text(visual_prompt, field_name="visual_prompt", limit=MAX_TEXT)


def submit_video(context: ServerContext, user_id: str, spec: VideoSpec) -> str:
    """Check ``spec``, write the video row and queue its render; returns the video id.

    Raises :class:`~oasis_server.jobs.limits.LimitReached` when the user already has as many
    videos queued or rendering as their limit allows.

    The message is sent only after the row is committed. If sending fails
    (the broker is down) the row stays ``processing``/``queued`` and the
    sweeper sends it once its dispatch deadline passes.
    """
    checked = check_video(context, user_id, spec)
    now = utcnow()
    with context.session() as session:
        hold_queue(session, user_id)
        video = Video(
            user_id=user_id,
            title=checked.title,
            description=checked.description,
            category=checked.category,
            content=checked.content,
            visual_prompt=checked.visual_prompt,
            style=checked.style,
            aspect=checked.aspect,
            voice=checked.voice,
            providers=checked.providers,
            captions=checked.captions.settings() if checked.captions else None,
            scenes=stored_scenes(checked.scenes),
            author=checked.author,
            status="processing",
            stage="queued",
            progress=0,
            attempts=0,
            usage={},
            created_at=now,
            updated_at=now,
            lease_until=now + timedelta(seconds=context.settings.video_lease_seconds),
        )
        session.add(video)
        session.flush()
        check_queue(session, context.settings, user_id)
        video_id = video.id
    try:
        context.enqueue_render(video_id)
    except Exception as exc:
        log.warning("Could not queue video %s (the sweeper will): %s", video_id, exc)
    return video_id
