"""The wire types of scripts: ``{"type": "script"}`` requests, their answer, and a video's ``scenes``.

``POST /api/video/generate`` with ``type: script`` writes a narrated script
for a topic (:func:`write_script_answer`); a ``video`` request may carry the
scenes (edited by a frontend) instead of one ``content``
(:func:`scenes_from`). Visual sources other than ``procedural`` for a scene
are refused until they exist.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from oasis_core.catalog import PortKind
from oasis_core.domain.script import (
    DEFAULT_SCRIPT_SECONDS,
    MAX_SCENE_PROMPT,
    MAX_SCENE_TEXT,
    MAX_SCENES,
    MAX_SCRIPT_SECONDS,
    MAX_SEARCH_TERM,
    MAX_SEARCH_TERMS,
    MAX_TOPIC,
    MIN_SCRIPT_SECONDS,
    ScriptScene,
)
from oasis_core.errors import InvalidInput
from oasis_core.services.scripts import generate_script
from oasis_server.api.context import ServerContext
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

SCENE_SOURCES = ("procedural",)
"""The visual sources a scene may name today (stock footage, generated clips and uploads come later)."""

Topic = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TOPIC, examples=["why sleep matters"])]
Seconds = Annotated[int, msgspec.Meta(ge=MIN_SCRIPT_SECONDS, le=MAX_SCRIPT_SECONDS)]
SceneText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SCENE_TEXT)]
ScenePrompt = Annotated[str, msgspec.Meta(max_length=MAX_SCENE_PROMPT)]
SourceId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, examples=["procedural"])]
UploadId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
SearchTerms = Annotated[
    list[Annotated[str, msgspec.Meta(max_length=MAX_SEARCH_TERM)]], msgspec.Meta(max_length=MAX_SEARCH_TERMS)
]


class SceneVisualsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Where a scene's picture comes from: ``procedural`` (painted from the scene's visual prompt) for now."""

    source: SourceId | None = None
    upload_id: UploadId | None = None


class SceneIn(msgspec.Struct, forbid_unknown_fields=True):
    """One scene of a video: the words spoken over it and, optionally, its own picture's description.

    ``search_terms`` may come back as a ``script`` answered them; they are kept with the video.
    """

    text: SceneText
    visual_prompt: ScenePrompt | None = None
    visuals: SceneVisualsIn | None = None
    search_terms: SearchTerms | None = None


Scenes = Annotated[list[SceneIn], msgspec.Meta(min_length=1, max_length=MAX_SCENES)]


class ScriptSceneOut(msgspec.Struct):
    """One written scene: its narration, its picture's description and stock-footage search terms."""

    text: str
    visual_prompt: str
    search_terms: list[str]


class ScriptOut(msgspec.Struct):
    """A written script: the whole narration (``content``), its scenes, the language model and its usage."""

    content: str
    scenes: list[ScriptSceneOut]
    provider: str
    usage: dict[str, int] = msgspec.field(default_factory=dict)


class GenerateOut(msgspec.Struct):
    """A 200 answer of ``POST /api/video/generate``: the written text, and for a ``script`` its scenes.

    ``quote`` and ``visual_prompt`` answer ``{content, author?, provider, usage}``;
    ``script`` answers ``{content, scenes, provider, usage}``. One schema
    describes both, since a script's answer would also match a schema without
    ``scenes`` (the two could not be told apart as ``oneOf`` alternatives).
    """

    content: str
    provider: str | None = None
    usage: dict[str, int] = msgspec.field(default_factory=dict)
    author: str | None = None
    """Who said the quote (``quote`` only)."""
    scenes: list[ScriptSceneOut] | None = None
    """The script's scenes, whose texts joined are ``content`` (``script`` only)."""


def scenes_from(items: list[SceneIn] | None) -> tuple[ScriptScene, ...]:
    """The domain scenes of a request's ``scenes`` (none for ``None``); 400 naming the scene's field."""
    scenes = []
    for index, item in enumerate(items or ()):
        source = item.visuals.source if item.visuals else None
        if source is not None and source not in SCENE_SOURCES:
            raise InvalidInput(
                f"Scene {index + 1} asks for the {source!r} visual source, which scenes cannot use yet",
                field=f"scenes[{index}].visuals.source",
                choices=SCENE_SOURCES,
            )
        try:
            scenes.append(ScriptScene(item.text, item.visual_prompt or "", tuple(item.search_terms or ())))
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field=f"scenes[{index}].{exc.field}") from exc
    return tuple(scenes)


def stored_scenes(scenes: tuple[ScriptScene, ...]) -> list[dict[str, Any]] | None:
    """Scenes as the ``videos.scenes`` column keeps them (``None`` for none)."""
    if not scenes:
        return None
    return [
        {"text": s.text, "visual_prompt": s.visual_prompt, "search_terms": list(s.search_terms)}
        for s in scenes
    ]


def loaded_scenes(stored: list[dict[str, Any]] | None) -> tuple[ScriptScene, ...]:
    """The scenes kept in a ``videos.scenes`` column."""
    return tuple(
        ScriptScene(str(s["text"]), str(s.get("visual_prompt") or ""), tuple(s.get("search_terms") or ()))
        for s in stored or ()
    )


def scenes_out(stored: list[dict[str, Any]] | None) -> list[ScriptSceneOut] | None:
    """A video's kept scenes as the API shows them (``None`` for a video of one text)."""
    if not stored:
        return None
    return [ScriptSceneOut(s.text, s.visual_prompt, list(s.search_terms)) for s in loaded_scenes(stored)]


def usage_of(provider: object) -> dict[str, int]:
    """The counts a provider keeps in its optional ``usage`` attribute (whole numbers only)."""
    usage = getattr(provider, "usage", None)
    if not isinstance(usage, dict):
        return {}
    return {str(name): int(value) for name, value in usage.items() if isinstance(value, int) and value}


def write_script_answer(
    context: ServerContext,
    user_id: str,
    *,
    topic: str,
    category: str | None,
    length: int | None,
    language: str | None,
    requested: dict[str, str | None],
) -> ScriptOut:
    """Write a script for ``user_id`` with the language model they chose (or the default)."""
    with context.sessions() as session:
        choice = ProviderChoice.for_user(context, session, user_id)
    llm_id = choice.choose(requested, CHOOSABLE)[PortKind.LLM.value]
    llm = choice.build(PortKind.LLM, llm_id)
    script = generate_script(
        llm, topic, category_id=category, length=length or DEFAULT_SCRIPT_SECONDS, language=language
    )
    scenes = scenes_out(stored_scenes(script.scenes)) or []
    return ScriptOut(script.content, scenes, llm_id, usage_of(llm))
