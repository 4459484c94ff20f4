"""Use cases that write words: a quote for a category, a visual prompt for a text."""

from __future__ import annotations

from collections.abc import Sequence

from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.media import Quote, validate_text
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.language_model import LanguageModel, write_quote

MAX_PROMPT_LENGTH = 1000


def generate_quote(
    llm: LanguageModel, category_id: str, *, avoid: Sequence[str] = (), language: str | None = None
) -> Quote:
    """Ask ``llm`` for a quote in ``category_id`` that is not one of ``avoid``, in ``language`` if given.

    Raises :class:`~oasis_core.errors.InvalidInput` for an unknown category, a
    malformed language tag or a language the model does not write (see
    :func:`~oasis_core.ports.language_model.write_quote`), and
    :class:`~oasis_core.errors.ProviderError` if the model answers nothing usable.
    """
    category = get_category(category_id)
    quote = write_quote(llm, category, avoid=tuple(avoid), language=language)
    try:
        text = validate_text(quote.text, field_name="quote")
    except InvalidInput as exc:
        raise ProviderError(
            f"The {llm.id} language model wrote no usable quote: {exc}", provider=llm.id
        ) from exc
    return Quote(text, quote.author)


def generate_visual_prompt(llm: LanguageModel, text: str, category_id: str, style_id: str) -> str:
    """Ask ``llm`` for a visual prompt that fits ``text``, the category's mood and the style."""
    text = validate_text(text, field_name="content")
    category = get_category(category_id)
    style = get_style(style_id)
    prompt = " ".join(llm.write_visual_prompt(text, category, style).split())
    if not prompt:
        raise ProviderError(f"The {llm.id} language model wrote an empty visual prompt", provider=llm.id)
    return prompt[:MAX_PROMPT_LENGTH]
