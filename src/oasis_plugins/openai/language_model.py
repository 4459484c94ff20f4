"""``OpenAILanguageModel``: quotes and visual prompts from an OpenAI (or OpenAI-compatible) chat model."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

from oasis_core.domain.catalogue import Category, Style
from oasis_core.domain.language import language_tag
from oasis_core.domain.media import MAX_TEXT_LENGTH, Quote
from oasis_core.domain.script import Script
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.openai.client import (
    COMMON_SETTINGS_ENV,
    PROVIDER_ID,
    build_client,
    openai_errors,
)
from oasis_plugins.openai.prompts import (
    CONTENT_KINDS,
    quote_messages,
    script_messages,
    visual_prompt_messages,
)
from oasis_plugins.openai.script_format import parse_script, script_size
from oasis_plugins.openai.script_format import response_format as script_response_format

DEFAULT_MODEL = "gpt-4o-mini"
"""The chat model used when the ``model`` setting is not given: small, cheap and current."""

DEFAULT_TIMEOUT = 60.0
"""Seconds one chat request may take when the ``timeout`` setting is not given."""

VERIFY_TIMEOUT = 15.0
"""The longest :meth:`OpenAILanguageModel.verify_key` waits (the server gives up after 20 seconds)."""

MAX_QUOTE_LENGTH = MAX_TEXT_LENGTH
"""The longest quote, in characters, :func:`clean_output` lets through (what a render accepts)."""

MAX_PROMPT_LENGTH = 400
"""The longest visual prompt, in characters."""

MAX_AUTHOR_LENGTH = 100
"""The longest author name, in characters."""

# -- cleaning ----------------------------------------------------------------------------------------

_DOUBLE_QUOTES = '"“”„‟«»‹›「」『』'
_SINGLE_QUOTES = "'‘’‚‛"
_QUOTES = _DOUBLE_QUOTES + _SINGLE_QUOTES
_EDGE_JUNK = _QUOTES + "*#`_~>"
"""Characters a clean text never starts or ends with (a trailing apostrophe is kept after a letter)."""
_MARKUP = "*#`_~>"

_FENCE = re.compile(r"`{3,}(?:[a-z0-9+.-]*[ \t]*\n)?(.*?)\n?`{3,}", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*•+]\s+|\d{1,2}[.)]\s+)+")
_LABEL = re.compile(
    r"^\s*(?:(?:visual|image|scene|final)\s+)?(?:quote|prompt|text|answer|script|caption|description|output)"
    r"\s*(?:\([^)]*\)\s*)?[:：]\s*",
    re.IGNORECASE,
)
_LABEL_ONLY = re.compile(
    r"^\s*(?:(?:visual|image|scene|final)\s+)?(?:quote|prompt|text|answer|script|caption|description|output)"
    r"\s*[:：]?\s*$",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(
    r"\b(?:here|sure|certainly|okay|ok|of course|quote|prompt|description|script|caption|answer)\b",
    re.IGNORECASE,
)
_EMPHASIS = re.compile(r"\*+|`+|__+")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def _unwrap_markup(text: str) -> str:
    """``text`` without leading labels, list or heading marks and markup characters at its ends."""
    previous = None
    while text != previous:
        previous = text
        text = _strip_edges(_LINE_PREFIX.sub("", _LABEL.sub("", text, count=1)), _MARKUP)
    return text


def _strip_pairs(text: str) -> str:
    """Remove quotation marks that wrap the whole of ``text`` (with a full stop after them, too)."""
    while len(text) >= 2 and text[0] in _QUOTES:
        match = re.fullmatch(r"(.)(.*?)(.)([.!?…]?)", text, flags=re.DOTALL)
        if match is None:
            break
        first, inner, last, after = match.groups()
        if last not in _QUOTES:
            break
        family = _DOUBLE_QUOTES if first in _DOUBLE_QUOTES else _SINGLE_QUOTES
        if last not in family:
            break
        inner = inner.strip()
        probe = _unwrap_markup(inner)
        nested = len(probe) >= 2 and probe[0] in _QUOTES and probe[-1] in _QUOTES
        if not nested and family is _DOUBLE_QUOTES and any(ch in _DOUBLE_QUOTES for ch in inner):
            break  # "Go," he said, "now."
        if (
            not nested
            and family is _SINGLE_QUOTES
            and re.search(r"(?<![^\W\d_])['‘’]|['‘’](?![^\W\d_])", inner)
        ):
            break
        if after and not inner.endswith((".", "!", "?", "…")):
            inner += after
        text = inner
    return text


def _strip_edges(text: str, junk: str = _EDGE_JUNK) -> str:
    text = text.strip()
    while text and text[0] in junk:
        text = text[1:].lstrip()
    while text and text[-1] in junk and not (text[-1] in "'’" and text[-2:-1].isalpha()):
        text = text[:-1].rstrip()
    return text


def bound(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: at the end of a sentence, else of a word."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() <= limit]
    if ends and ends[-1] >= limit // 2:
        return text[: ends[-1]]
    space = head.rfind(" ")
    if space > 0:
        return text[:space].rstrip(" ,;:-–—")
    return text[:limit]


def clean_output(raw: str, limit: int) -> str:
    """The plain text of a model's answer, at most ``limit`` characters (``""`` when nothing is left).

    Removes code fences, markdown (headings, bullets, quotes, emphasis, links), a
    leading label ("Quote:", "**Prompt:**") or a preamble line ("Here is a quote:"),
    quotation marks of every kind around the text, and joins it into one line with
    single spaces. Cuts a text that is too long at a sentence or word boundary.
    """
    text = _FENCE.sub(lambda m: m.group(1), raw.replace("\r", "\n"))
    text = _LINK.sub(lambda m: m.group(1), text)
    lines = [_LINE_PREFIX.sub("", _EMPHASIS.sub("", line)).strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not _LABEL_ONLY.match(line)]
    while len(lines) > 1 and lines[0].endswith((":", "：")) and _PREAMBLE.search(lines[0]):
        lines = lines[1:]  # "Here is a quote for you:"
    text = " ".join(" ".join(lines).split())
    previous = None
    while text != previous:
        previous = text
        text = _strip_pairs(_unwrap_markup(text))
    text = bound(text, limit)
    return _strip_edges(text)


_ATTRIBUTION = re.compile(
    r"^(?P<text>.+?)(?:\s*\n\s*|(?<=[\"”»’'.!?…])\s*|\s+)(?:[—–―~]|--?)\s*(?P<author>[^\n—–―~]{1,100}?)\s*$",
    re.DOTALL,
)
_NO_AUTHOR = {"", "unknown", "null", "none", "n/a", "na", "author", "unknown author"}


def _author(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    author = clean_output(raw, MAX_AUTHOR_LENGTH)
    author = re.sub(r"^(?:by|author\s*:)\s+", "", author, flags=re.IGNORECASE).strip(" ,;:")
    return None if author.casefold() in _NO_AUTHOR else author or None


def _split_attribution(text: str) -> tuple[str, str | None]:
    """``("text", "Author")`` for a text that ends with "— Author", else ``(text, None)``."""
    match = _ATTRIBUTION.match(text.strip())
    if match is None:
        return text, None
    author = match.group("author").strip()
    words = author.split()
    if not words or len(words) > 8 or not author[0].isupper() or author.endswith(("!", "?", ":")):
        return text, None
    if author.endswith(".") and len(words[-1]) > 3:  # "— Stay foolish." is a sentence, not a name
        return text, None
    return match.group("text"), author


def _json_object(raw: str) -> Mapping[str, Any] | None:
    text = _FENCE.sub(lambda m: m.group(1), raw)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_quote(raw: str) -> Quote:
    """The quote in a model's answer: a JSON object ``{"text", "author"}``, or text ending "— Author".

    Raise :class:`ProviderError` when no text is left after cleaning.
    """
    found = _json_object(raw)
    text: str | None = None
    author: str | None = None
    if found is not None:
        for name in ("text", "quote", "content", "script"):
            if isinstance(found.get(name), str):
                text = found[name]
                break
        else:  # another name: the first text that is not the author
            others = [v for k, v in found.items() if isinstance(v, str) and k not in ("author", "by")]
            text = others[0] if others else None
        author = _author(found.get("author") or found.get("by"))
    if text is None:
        text = raw
        labelled = re.search(r"(?im)^\W*author\W*[:：]\s*(.+)$", text)
        if labelled:
            author = _author(labelled.group(1))
            text = text[: labelled.start()] + text[labelled.end() :]
    if author is None:
        body, named = _split_attribution(_FENCE.sub(lambda m: m.group(1), text))
        if named is not None and clean_output(body, MAX_QUOTE_LENGTH):
            text, author = body, _author(named)
    cleaned = clean_output(text, MAX_QUOTE_LENGTH)
    if not cleaned:
        raise ProviderError("The OpenAI model answered with an empty quote", provider=PROVIDER_ID)
    return Quote(cleaned, author)


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# -- the provider ------------------------------------------------------------------------------------


class OpenAILanguageModel:
    """Writes quotes and visual prompts with an OpenAI chat model (or any OpenAI-compatible server).

    Settings: ``model`` (default :data:`DEFAULT_MODEL`), ``base_url`` (a local
    Ollama, vLLM, LM Studio or llama.cpp server), ``timeout`` (seconds, default 60),
    ``max_retries`` (default 3), ``temperature`` (sent only when given),
    ``content`` (``quote``: real quotes with their author, the default;
    ``original``: original lines), ``organization`` and ``project``.
    ``usage`` counts ``requests``, ``input_tokens`` and ``output_tokens``.
    """

    id: ClassVar[str] = PROVIDER_ID
    name: ClassVar[str] = "OpenAI"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"
    settings_env: ClassVar[Mapping[str, str]] = {
        **COMMON_SETTINGS_ENV,
        "model": "OASIS_OPENAI_MODEL",
        "timeout": "OASIS_OPENAI_TIMEOUT",
    }
    languages: ClassVar[tuple[str, ...] | None] = None
    """Any language: the prompt asks the model to write in the one requested."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.model = config.setting("model", DEFAULT_MODEL) or DEFAULT_MODEL
        self.content = config.setting("content", "quote") or "quote"
        if self.content not in CONTENT_KINDS:
            raise InvalidInput(
                f"Unknown OpenAI content setting {self.content!r}", field="content", choices=CONTENT_KINDS
            )
        self.temperature = (
            config.number("temperature", 1.0) if config.setting("temperature") is not None else None
        )
        self._client = build_client(config, default_timeout=DEFAULT_TIMEOUT)
        self._lock = threading.Lock()
        self.usage: dict[str, int] = {"requests": 0, "input_tokens": 0, "output_tokens": 0}

    def _chat(
        self, messages: list[dict[str, str]], action: str, response_format: dict[str, Any] | None = None
    ) -> str:
        """Send ``messages`` (asking for ``response_format``), count the usage, return the answer's text."""
        options: dict[str, Any] = {}
        if response_format is not None:
            options["response_format"] = response_format
        if self.temperature is not None:
            options["temperature"] = self.temperature
        with openai_errors(key=self.config.key, action=action):
            try:
                response = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    **options,
                )
            finally:
                with self._lock:
                    self.usage["requests"] += 1
            if isinstance(cast(object, response), str):  # a non-JSON answer, despite the types
                raise ProviderError(
                    f"The OpenAI API answered with something other than JSON while {action}",
                    provider=PROVIDER_ID,
                )
            usage = getattr(response, "usage", None)
            if usage is not None:
                with self._lock:
                    self.usage["input_tokens"] += int(getattr(usage, "prompt_tokens", 0) or 0)
                    self.usage["output_tokens"] += int(getattr(usage, "completion_tokens", 0) or 0)
            if not response.choices:
                raise ProviderError(f"The OpenAI model gave no answer while {action}", provider=PROVIDER_ID)
            content = response.choices[0].message.content
        return content if isinstance(content, str) else ""

    def write_quote(
        self, category: Category, *, avoid: Sequence[str] = (), language: str | None = None
    ) -> Quote:
        """Ask the model for one quote for ``category`` that is none of ``avoid``, in ``language`` if given.

        When the answer is one of ``avoid`` anyway (ignoring case and punctuation), ask once
        more with it added to the list. Raise :class:`ProviderError` (or a subclass) on failure,
        and :class:`InvalidInput` for a malformed language tag.
        """
        tag = language_tag(language) if language is not None else None
        avoided = list(avoid)
        for _attempt in range(2):
            messages = quote_messages(category, avoided, content=self.content, language=tag)
            quote = parse_quote(self._chat(messages, "writing a quote"))
            if _normalise(quote.text) not in {_normalise(text) for text in avoided}:
                break
            avoided.append(quote.text)
        return quote

    def write_script(
        self, topic: str, category: Category | None, *, length_seconds: int, language: str | None = None
    ) -> Script:
        """Ask the model for a script about ``topic`` as structured output (a JSON schema), in ``language``.

        The prompt asks for the words that ``length_seconds`` holds at a normal
        speaking rate, in scenes of one or two sentences. Raise
        :class:`ProviderError` for malformed JSON or a script without usable
        scenes, as for any other failure of the model.
        """
        tag = language_tag(language) if language is not None else None
        words, scenes = script_size(length_seconds)
        messages = script_messages(
            topic, category, length_seconds=length_seconds, words=words, scenes=scenes, language=tag
        )
        answer = self._chat(messages, "writing a script", response_format=script_response_format())
        return parse_script(answer, topic=topic, language=tag)

    def write_visual_prompt(self, text: str, category: Category, style: Style) -> str:
        """Ask the model for a one-paragraph picture description for ``text`` (at most 400 characters)."""
        answer = self._chat(visual_prompt_messages(text, category, style), "writing a visual prompt")
        prompt = clean_output(answer, MAX_PROMPT_LENGTH)
        if not prompt:
            raise ProviderError("The OpenAI model answered with an empty visual prompt", provider=PROVIDER_ID)
        return prompt

    @classmethod
    def verify_key(cls, config: ProviderConfig) -> str:
        """List the models the key can use (the cheapest call) and say how many there are."""
        timeout = min(config.number("timeout", VERIFY_TIMEOUT, minimum=0.001), VERIFY_TIMEOUT)
        quick = ProviderConfig(
            key=config.key,
            settings={**config.settings, "timeout": str(timeout), "max_retries": "0"},
            cache_dir=config.cache_dir,
        )
        client = build_client(quick, default_timeout=VERIFY_TIMEOUT)
        try:
            with openai_errors(key=config.key, action="checking the key"):
                page = client.models.list()
                if isinstance(cast(object, page), str):
                    raise ProviderError(
                        "The OpenAI API answered with something other than JSON while checking the key",
                        provider=PROVIDER_ID,
                    )
                ids = [model.id for model in page.data]
        finally:
            client.close()
        model = config.setting("model", DEFAULT_MODEL)
        message = f"Key works: {len(ids)} model{'s' if len(ids) != 1 else ''} available"
        if ids and model not in ids:
            message += f" (the chat model {model!r} is not among them)"
        return message

    def close(self) -> None:
        """Close the HTTP connections of the SDK client."""
        self._client.close()


__all__ = [
    "DEFAULT_MODEL",
    "MAX_PROMPT_LENGTH",
    "MAX_QUOTE_LENGTH",
    "OpenAILanguageModel",
    "clean_output",
    "parse_quote",
]
