"""The ``LanguageModel`` port: writes the words of a video."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from oasis_core.domain.catalogue import Category, Style
from oasis_core.domain.media import Quote
from oasis_core.ports.provider import Provider


@runtime_checkable
class LanguageModel(Provider, Protocol):
    """Writes a quote or short script for a category, and a visual prompt for it.

    Register implementations with the ``register_language_models`` hook.
    """

    def write_quote(self, category: Category, *, avoid: Sequence[str] = ()) -> Quote:
        """Return one quote or short script (at most a few sentences) for ``category``.

        ``avoid`` holds texts shown recently; the answer should not be one of
        them. The text must be plain: no surrounding quotation marks, no
        markdown, no attribution inside the text (put it in ``Quote.author``).
        Raise :class:`~oasis_core.errors.ProviderError` (or a subclass) on failure.
        """
        ...

    def write_visual_prompt(self, text: str, category: Category, style: Style) -> str:
        """Return a one-paragraph description of the picture that should go with ``text``.

        The prompt is drawn from the text's own words, the category's mood and
        the style's look, so different texts give different prompts. Plain text,
        at most about 400 characters.
        """
        ...
