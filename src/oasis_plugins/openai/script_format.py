"""The JSON schema a chat model answers a script in (structured output), and reading that answer back.

Chat completions take ``response_format={"type": "json_schema", ...}``; with
``strict`` the model's answer always matches the schema, which in strict mode
must list every property as required and forbid others
(https://platform.openai.com/docs/guides/structured-outputs#supported-schemas).
An OpenAI-compatible server without structured output may still answer
something else, so the answer is checked all the same.
"""

from __future__ import annotations

import json
import math
from typing import Any

from oasis_core.domain.script import (
    MAX_SCENE_PROMPT,
    MAX_SCENE_TEXT,
    MAX_SCENES,
    MAX_SEARCH_TERM,
    MAX_SEARCH_TERMS,
    WORDS_PER_SECOND,
    Script,
    ScriptScene,
)
from oasis_core.errors import InvalidInput, ProviderError
from oasis_plugins.openai.client import PROVIDER_ID

SCRIPT_SCHEMA_NAME = "video_script"

WORDS_PER_SCENE = 14
"""About how many words a scene of one or two spoken sentences holds."""

SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scenes"],
    "properties": {
        "scenes": {
            "type": "array",
            "description": "The scenes in order; their texts read one after another are the narration.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "visual_prompt", "search_terms"],
                "properties": {
                    "text": {"type": "string", "description": "The words spoken over this scene."},
                    "visual_prompt": {"type": "string", "description": "The scene's picture, in English."},
                    "search_terms": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Two or three short English stock-footage searches.",
                    },
                },
            },
        }
    },
}
"""The script's shape: ``{"scenes": [{"text", "visual_prompt", "search_terms": [...]}]}``."""


def response_format() -> dict[str, Any]:
    """The ``response_format`` of a script request: the schema above, strict."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCRIPT_SCHEMA_NAME, "strict": True, "schema": SCRIPT_SCHEMA},
    }


def script_size(length_seconds: int) -> tuple[int, int]:
    """How many words and scenes a script of ``length_seconds`` asks for (two scenes at least)."""
    words = round(length_seconds * WORDS_PER_SECOND)
    return words, min(MAX_SCENES, max(2, math.ceil(words / WORDS_PER_SCENE)))


def parse_script(raw: str, *, topic: str, language: str | None) -> Script:
    """The :class:`Script` in a model's JSON answer, each text cleaned as a quote is.

    Raise :class:`ProviderError` for an answer that is not JSON of the schema's
    shape or has no usable scene.
    """
    # imported here: that module imports this one
    from oasis_plugins.openai.language_model import clean_output

    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ProviderError(
            "The OpenAI model answered with malformed JSON while writing a script", provider=PROVIDER_ID
        ) from exc
    items = value.get("scenes") if isinstance(value, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ProviderError("The OpenAI model's script has no list of scenes", provider=PROVIDER_ID)
    scenes: list[ScriptScene] = []
    try:
        for item in items[:MAX_SCENES]:
            text = clean_output(str(item.get("text") or ""), MAX_SCENE_TEXT)
            if not text:
                continue
            terms = item.get("search_terms")
            terms = [clean_output(str(t), MAX_SEARCH_TERM) for t in terms] if isinstance(terms, list) else []
            prompt = clean_output(str(item.get("visual_prompt") or ""), MAX_SCENE_PROMPT)
            scenes.append(ScriptScene(text, prompt, tuple(t for t in terms if t)[:MAX_SEARCH_TERMS]))
        return Script(tuple(scenes), topic=topic, language=language)
    except InvalidInput as exc:
        raise ProviderError(
            f"The OpenAI model wrote an unusable script: {exc}", provider=PROVIDER_ID
        ) from exc
