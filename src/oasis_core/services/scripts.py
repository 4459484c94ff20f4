"""The use case that writes a narrated script for a topic, checked before and after the model writes."""

from __future__ import annotations

from oasis_core.domain.catalogue import get_category
from oasis_core.domain.language import optional_language_tag
from oasis_core.domain.script import Script, script_length, validate_topic
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.language_model import LanguageModel, write_script


def generate_script(
    llm: LanguageModel,
    topic: str,
    *,
    category_id: str | None = None,
    length: float,
    language: str | None = None,
) -> Script:
    """Ask ``llm`` for a script about ``topic`` of about ``length`` seconds (15–90), in ``language``.

    ``category_id`` (or ``None``: the model's choice) sets the mood. Raises
    :class:`~oasis_core.errors.InvalidInput` naming the field for a bad topic,
    length, category or language, or a model that cannot write scripts; and
    :class:`~oasis_core.errors.ProviderError` when the model's script breaks
    the rules of a :class:`Script`.
    """
    topic = validate_topic(topic)
    seconds = script_length(length)
    category = get_category(category_id) if category_id is not None else None
    tag = optional_language_tag(language)
    try:
        script = write_script(llm, topic, category, length_seconds=seconds, language=tag)
    except InvalidInput as exc:
        if exc.field in ("language", "providers", "category"):
            raise
        raise ProviderError(
            f"The {llm.id} language model wrote no usable script: {exc}", provider=llm.id
        ) from exc
    if not isinstance(script, Script):
        raise ProviderError(f"The {llm.id} language model answered no script", provider=llm.id)
    return script
