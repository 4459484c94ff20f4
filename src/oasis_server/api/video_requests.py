"""The bodies ``POST /api/video/generate`` accepts: a quote, a visual prompt, a video or a script to write."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter

from oasis_server.api.caption_routes import CaptionsIn
from oasis_server.api.scripts import (
    Scenes,
    Seconds,
    Topic,
)

CategoryId = Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["motivation"])]
StyleId = Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["cinematic"])]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Title = Annotated[str, msgspec.Meta(max_length=255)]
Description = Annotated[str, msgspec.Meta(max_length=5000)]
VoiceId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Author = Annotated[str, msgspec.Meta(max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$", examples=["Epictetus"])]
LanguageTag = Annotated[
    str, msgspec.Meta(min_length=2, max_length=35, examples=["fr"], description="A BCP 47 language tag")
]
AspectId = Annotated[str, msgspec.Meta(min_length=1, max_length=10, examples=["9:16"])]
ProviderId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
VideoId = Annotated[str, PathParameter(max_length=64)]


class ProvidersIn(msgspec.Struct, forbid_unknown_fields=True):
    """Providers to use for this request, by port (ids from ``GET /api/providers``)."""

    llm: ProviderId | None = None
    speech: ProviderId | None = None
    visuals: ProviderId | None = None

    def chosen(self) -> dict[str, str | None]:
        """Port name → provider id, for the ports named."""
        return {"llm": self.llm, "speech": self.speech, "visuals": self.visuals}


class QuoteIn(msgspec.Struct, tag_field="type", tag="quote", forbid_unknown_fields=True):
    """Write a quote for a category."""

    category: CategoryId
    providers: ProvidersIn | None = None
    language: LanguageTag | None = None


class VisualPromptIn(msgspec.Struct, tag_field="type", tag="visual_prompt", forbid_unknown_fields=True):
    """Write a visual prompt that fits a text."""

    content: Text
    category: CategoryId
    style: StyleId | None = None
    providers: ProvidersIn | None = None


class VideoIn(msgspec.Struct, tag_field="type", tag="video", forbid_unknown_fields=True):
    """Render a video; answered at once with its id while a worker renders it."""

    category: CategoryId
    style: StyleId
    content: Text | None = None
    """The text to speak; or give ``scenes`` instead."""
    visual_prompt: Text | None = None
    """The picture; with ``scenes``, used for a scene without its own (left out: the first scene's)."""
    title: Title | None = None
    description: Description | None = None
    voice: VoiceId | None = None
    aspect: AspectId | None = None
    providers: ProvidersIn | None = None
    language: LanguageTag | None = None
    captions: CaptionsIn | None = None
    """How the captions look (see ``GET /api/captions``); left out: the classic look."""
    scenes: Scenes | None = None
    """A script's scenes instead of ``content``: spoken in order, each cut to its own picture."""
    author: Author | None = None
    """Who said the words (a written quote's ``author``); the video ends on a card naming them."""


class ScriptIn(msgspec.Struct, tag_field="type", tag="script", forbid_unknown_fields=True):
    """Write a narrated script about a topic, in scenes, about ``length`` seconds (15–90, default 30) long."""

    topic: Topic
    category: CategoryId | None = None
    length: Seconds | None = None
    language: LanguageTag | None = None
    providers: ProvidersIn | None = None


GenerateIn = QuoteIn | VisualPromptIn | VideoIn | ScriptIn
