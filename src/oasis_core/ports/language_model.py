"""The ``LanguageModel`` port: writes the words of a video."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast, runtime_checkable

from oasis_core.domain.catalogue import Category, Style
from oasis_core.domain.language import language_tag, primary_language
from oasis_core.domain.media import Quote
from oasis_core.domain.script import Script
from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import Provider

DEFAULT_LANGUAGES = ("en",)
"""What a language model that declares no ``languages`` is taken to write: English."""


@runtime_checkable
class LanguageModel(Provider, Protocol):
    """Writes a quote or short script for a category, and a visual prompt for it.

    Register implementations with the ``register_language_models`` hook.

    Optional class attribute ``languages``: the language tags the model
    writes in (``("en",)``), or ``None`` for any language. A model that
    declares it takes a ``language`` keyword in :meth:`write_quote`
    (:class:`MultilingualLanguageModel`); one that does not is called without
    it and taken to write English (:data:`DEFAULT_LANGUAGES`), so models
    written before languages existed keep working.
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


@runtime_checkable
class MultilingualLanguageModel(LanguageModel, Protocol):
    """A language model that writes in the language it is asked for (optional capability).

    It declares ``languages`` (a tuple of tags, or ``None`` for any) and takes
    a keyword ``language`` in :meth:`write_quote`.
    """

    languages: tuple[str, ...] | None

    def write_quote(
        self, category: Category, *, avoid: Sequence[str] = (), language: str | None = None
    ) -> Quote:
        """As :meth:`LanguageModel.write_quote`, written in ``language`` (a BCP 47 tag; ``None``: the model's own).

        Raise :class:`~oasis_core.errors.InvalidInput` naming the field
        ``language`` (with the languages it has as ``choices``) for a language
        the model cannot write.
        """
        ...


def model_languages(llm: LanguageModel) -> tuple[str, ...] | None:
    """The languages ``llm`` writes in (``None``: any), :data:`DEFAULT_LANGUAGES` if it does not say."""
    if not hasattr(llm, "languages"):
        return DEFAULT_LANGUAGES
    declared = cast(MultilingualLanguageModel, llm).languages
    return None if declared is None else tuple(declared)


def check_language(llm: LanguageModel, language: str) -> str:
    """``language`` as a tag, if ``llm`` writes in it; else :class:`InvalidInput` listing the ones it does."""
    tag = language_tag(language)
    offered = model_languages(llm)
    if offered is not None and primary_language(tag) not in {primary_language(x) for x in offered}:
        raise InvalidInput(
            f"The {llm.id} language model does not write in {tag!r}", field="language", choices=offered
        )
    return tag


def write_quote(
    llm: LanguageModel, category: Category, *, avoid: Sequence[str] = (), language: str | None = None
) -> Quote:
    """``llm.write_quote(...)``, in ``language`` if given: passed on to a model that declares ``languages``.

    A model that does not declare them is asked without a language, and only
    for English: any other ``language`` raises :class:`InvalidInput` before
    the model is called.
    """
    if language is None:
        return llm.write_quote(category, avoid=avoid)
    tag = check_language(llm, language)
    if not hasattr(llm, "languages"):
        return llm.write_quote(category, avoid=avoid)
    return cast(MultilingualLanguageModel, llm).write_quote(category, avoid=avoid, language=tag)


@runtime_checkable
class ScriptWriter(Protocol):
    """A language model that also writes narrated, multi-scene scripts (optional capability).

    Found with ``isinstance(llm, ScriptWriter)``; :func:`write_script` says
    clearly when a model lacks it.
    """

    def write_script(
        self, topic: str, category: Category | None, *, length_seconds: int, language: str | None = None
    ) -> Script:
        """Return a script about ``topic`` that takes about ``length_seconds`` to say.

        The narration of all scenes together fits ``length_seconds`` at a
        normal speaking rate (:data:`~oasis_core.domain.script.WORDS_PER_SECOND`
        words a second, within a quarter either way); two scenes or more for
        15 seconds or more. Each scene's text is plain (no markdown, no
        quotation marks around it, no stage directions), and each has a
        visual prompt and a few stock-footage search terms. ``category``
        (or ``None``) sets the mood. ``language`` (a BCP 47 tag, ``None``:
        the model's own): as for :meth:`MultilingualLanguageModel.write_quote`,
        a language the model cannot write raises :class:`InvalidInput` naming
        ``language``. Raise :class:`~oasis_core.errors.ProviderError` on failure.
        """
        ...


def write_script(
    llm: LanguageModel, topic: str, category: Category | None, *, length_seconds: int, language: str | None
) -> Script:
    """``llm.write_script(...)``, or :class:`InvalidInput` (field ``providers``) for a model that cannot."""
    if not isinstance(llm, ScriptWriter):
        raise InvalidInput(
            f"The {llm.id} language model cannot write scripts; choose another language model",
            field="providers",
        )
    tag = check_language(llm, language) if language is not None else None
    return llm.write_script(topic, category, length_seconds=length_seconds, language=tag)
