"""Structured output in the fake OpenAI chat API: ``response_format`` checked as OpenAI does, JSON answered.

Rules, from https://platform.openai.com/docs/guides/structured-outputs and the
API reference of ``response_format``:
- ``type`` is ``text``, ``json_object`` or ``json_schema``;
- ``json_object`` needs the word "JSON" somewhere in the messages;
- ``json_schema`` needs ``json_schema.name`` (a-z, A-Z, 0-9, ``_`` and ``-``, at most 64) and ``schema``;
- with ``strict: true`` the root is an object, every object sets ``additionalProperties: false``
  and lists every property in ``required`` ("Supported schemas");
- a strict answer always matches the schema: the fake checks its own answer before sending it.

The fake model's answer: for Oasis' script schema (``video_script``) scenes
whose texts add up to the "about N words" the prompt asks for (an obedient
model); for any other schema, the smallest instance that matches it.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.http_server import Reply

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_WORDS = re.compile(r"about (\d+) words")
_SCENES = re.compile(r"in (\d+) scenes")


def _invalid(message: str, param: str) -> Reply:
    return Reply(
        400,
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}},
    )


def _strict_problem(schema: Any, path: str) -> str | None:
    if not isinstance(schema, dict):
        return f"Invalid schema at {path}: not an object"
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"Invalid schema for response_format: In context={path}, 'additionalProperties' is required to be supplied and to be false."
        if sorted(schema.get("required", [])) != sorted(properties):
            return f"Invalid schema for response_format: In context={path}, 'required' is required to be supplied and to be an array including every key in properties."
        for name, child in properties.items():
            if (problem := _strict_problem(child, f"{path}.{name}")) is not None:
                return problem
    if schema.get("type") == "array" and (problem := _strict_problem(schema.get("items"), f"{path}[]")):
        return problem
    return None


def check_response_format(body: dict[str, Any]) -> Reply | None:
    """A 400 for a ``response_format`` OpenAI refuses, else ``None``."""
    wanted = body.get("response_format")
    if wanted is None:
        return None
    kind = wanted.get("type") if isinstance(wanted, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        return _invalid("Invalid value for 'response_format.type'.", "response_format.type")
    if kind == "json_object" and "json" not in str(body.get("messages")).lower():
        return _invalid(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            "messages",
        )
    if kind != "json_schema":
        return None
    spec = wanted.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not _NAME.match(spec["name"]):
        return _invalid(
            "Missing or invalid 'response_format.json_schema.name'.", "response_format.json_schema"
        )
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        return _invalid("Missing 'response_format.json_schema.schema'.", "response_format.json_schema")
    if spec.get("strict") is True:
        if schema.get("type") != "object":
            return _invalid(
                "Invalid schema for response_format: schema must be a JSON Schema of 'type: \"object\"'.",
                "response_format",
            )
        if (problem := _strict_problem(schema, "(root)")) is not None:
            return _invalid(problem, "response_format")
    return None


def wants_schema(body: dict[str, Any]) -> bool:
    """Whether the request asks for structured output with a JSON schema."""
    wanted = body.get("response_format")
    return isinstance(wanted, dict) and wanted.get("type") == "json_schema"


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` matches ``schema`` (the types, required and extra properties, array items)."""
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return (
            isinstance(value, dict)
            and set(schema.get("required", [])) <= set(value)
            and (schema.get("additionalProperties") is not False or set(value) <= set(properties))
            and all(conforms(value[k], properties[k]) for k in value if k in properties)
        )
    if kind == "array":
        return isinstance(value, list) and all(conforms(item, schema.get("items", {})) for item in value)
    if kind == "string":
        return isinstance(value, str)
    if kind in ("number", "integer"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return True


def _smallest(schema: dict[str, Any], number: int) -> Any:
    kind = schema.get("type")
    if kind == "object":
        return {name: _smallest(child, number) for name, child in schema.get("properties", {}).items()}
    if kind == "array":
        return [_smallest(schema.get("items", {}), number)]
    if kind == "string":
        return f"Answer {number}"
    if kind in ("number", "integer"):
        return number
    if kind == "boolean":
        return True
    return None


def _script(prompt: str, number: int) -> dict[str, Any]:
    words = int(m.group(1)) if (m := _WORDS.search(prompt)) else 40
    count = int(m.group(1)) if (m := _SCENES.search(prompt)) else 3
    sizes = [words // count + (1 if k < words % count else 0) for k in range(count)]
    scenes = []
    for index, size in enumerate(sizes, start=1):
        text = " ".join(["Scene", str(index), "of", "answer", str(number), *(["rest"] * max(0, size - 5))])
        scenes.append(
            {
                "text": text + ".",
                "visual_prompt": f"A quiet bedroom at night, picture {index}",
                "search_terms": ["night", f"scene {index}"],
            }
        )
    return {"scenes": scenes}


def structured_answer(body: dict[str, Any], number: int) -> Any:
    """What the fake model answers to a ``json_schema`` request; always matches the schema."""
    spec = body["response_format"]["json_schema"]
    prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    value = _script(prompt, number) if spec["name"] == "video_script" else _smallest(spec["schema"], number)
    if not conforms(value, spec["schema"]):
        raise AssertionError("the fake's structured answer does not match the schema it was given")
    return value
