"""The ``offline`` language model: real public-domain quotes from a bundled file, no network, no key."""

from __future__ import annotations

import functools
import itertools
import json
import random
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import ClassVar

from oasis_core.domain.catalogue import Category, Style
from oasis_core.domain.language import language_tag, primary_language
from oasis_core.domain.media import Quote
from oasis_core.domain.script import Script
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.offline.script_writer import build_script
from oasis_plugins.offline.visual_prompt import build_visual_prompt

QUOTES_FILE = "quotes.json"
"""The data file, inside this package, that maps each category id to its quotes."""

RECENT_MEMORY = 10
"""How many of its latest quotes per category an instance will not give again while others remain."""


def normalise(text: str) -> str:
    """``text`` reduced to lower-case letters and digits, for comparing quotes whatever their case,
    spacing or punctuation."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@functools.cache
def load_quotes() -> Mapping[str, tuple[Quote, ...]]:
    """The bundled quotes, by category id, read once from :data:`QUOTES_FILE`.

    Raise :class:`~oasis_core.errors.ProviderError` if the file is missing or malformed
    (a broken installation).
    """
    try:
        raw = json.loads(resources.files(__package__).joinpath(QUOTES_FILE).read_text(encoding="utf-8"))
        quotes = {
            str(category_id): tuple(Quote(str(item["text"]), str(item["author"])) for item in items)
            for category_id, items in raw.items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProviderError(
            f"The offline quote file {QUOTES_FILE} is missing or malformed ({exc}); reinstall Oasis",
            provider=OfflineLanguageModel.id,
        ) from exc
    return MappingProxyType(quotes)


def _parse_seed(seed: str) -> int | str:
    try:
        return int(seed)
    except ValueError:
        return seed


class OfflineLanguageModel:
    """Picks real quotes from a bundled collection and writes visual prompts from their words.

    Needs no key and no network, so it is the default that always works. Settings:
    ``seed`` makes the choice of quotes reproducible (any string; integers are read as numbers).
    Each instance remembers the last :data:`RECENT_MEMORY` quotes it gave per category and does
    not repeat them while another quote is available.

    The collection is in English only: asked for another language, it refuses with
    :class:`~oasis_core.errors.InvalidInput` rather than hand back English text to be
    spoken by, say, a French voice (a translated quote would no longer be the author's words).
    """

    id: ClassVar[str] = "offline"
    name: ClassVar[str] = "Offline quotes"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    languages: ClassVar[tuple[str, ...]] = ("en",)
    """The languages the bundled quotes are in."""

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        seed = config.setting("seed")
        self._random = random.Random(_parse_seed(seed)) if seed is not None else random.Random()
        self._clock = itertools.count()
        self._last_used: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def _quotes_for(self, category: Category) -> tuple[Quote, ...]:
        quotes = load_quotes()
        found = quotes.get(category.id)
        if not found:
            raise InvalidInput(
                f"The offline language model has no quotes for category {category.id!r}",
                field="category",
                choices=sorted(quotes),
            )
        return found

    def write_quote(
        self, category: Category, *, avoid: Sequence[str] = (), language: str | None = None
    ) -> Quote:
        """Return a real quote for ``category`` that is neither in ``avoid`` nor recently given.

        Texts are compared ignoring case, spacing and punctuation. When every quote of the
        category is excluded, the least recently given one (preferring those not in ``avoid``)
        is returned. Raise :class:`~oasis_core.errors.InvalidInput` for a category that has no
        bundled quotes, and for a ``language`` other than English (any English tag, such as
        ``en-GB``, is English), naming the languages it has.
        """
        self._check_language(language)
        quotes = self._quotes_for(category)
        avoided = {normalise(text) for text in avoid}
        with self._lock:
            last_used = self._last_used.setdefault(category.id, {})
            recent = set(sorted(last_used, key=last_used.__getitem__)[-RECENT_MEMORY:])
            excluded = avoided | recent
            fresh = [q for q in quotes if normalise(q.text) not in excluded]
            if fresh:
                choice = self._random.choice(fresh)
            else:
                pool = [q for q in quotes if normalise(q.text) not in avoided] or list(quotes)
                self._random.shuffle(pool)  # ties (never used) are broken at random
                choice = min(pool, key=lambda q: last_used.get(normalise(q.text), -1))
            last_used[normalise(choice.text)] = next(self._clock)
        return choice

    def _check_language(self, language: str | None) -> None:
        if language is not None and primary_language(language_tag(language)) not in self.languages:
            raise InvalidInput(
                f"The offline quotes are in English only, not {language!r}; choose English, or a "
                "language model that writes in other languages (such as openai)",
                field="language",
                choices=self.languages,
            )

    def write_script(
        self, topic: str, category: Category | None, *, length_seconds: int, language: str | None = None
    ) -> Script:
        """An honest script about ``topic`` from the bundled quotes (see :mod:`~oasis_plugins.offline.script_writer`).

        A hook that names the topic, quotes of ``category`` (or of the category
        nearest the topic) spoken with their authors, and a closing line; as
        many quotes as fit ``length_seconds``. English only, like :meth:`write_quote`.
        """
        self._check_language(language)
        with self._lock:
            chooser = random.Random(self._random.random())
        return build_script(topic, category, length_seconds, load_quotes(), chooser)

    def write_visual_prompt(self, text: str, category: Category, style: Style) -> str:
        """Return a one-paragraph visual prompt (at most 400 characters) drawn from ``text``.

        Concrete images for the quote's concept words and its most salient phrase come first,
        then the category's mood words and the style's look. Deterministic: the same inputs
        always give the same prompt, and different quotes give different prompts.
        """
        return build_visual_prompt(text, category, style)
