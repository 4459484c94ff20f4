"""Language tags (BCP 47: ``en``, ``fr``, ``zh-TW``, ``pt-BR``): checked at the edge, matched loosely.

A video may be asked for in a language: the language model writes in it, the
speech engine's first voice for it speaks, and the captions pick fonts for its
script. Voices name their language in many spellings (``en-us``, ``fr-fr``,
``cmn`` for Mandarin), so matching compares the primary language (with
Chinese and Arabic varieties folded into ``zh`` and ``ar``) and then any region
or script the request names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from oasis_core.errors import InvalidInput

MAX_TAG_LENGTH = 35
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_MACRO = {
    # Chinese varieties (ISO 639-3) → zh; Arabic varieties → ar; Persian, Malay, Swahili likewise.
    **dict.fromkeys(
        ("cmn", "yue", "hak", "nan", "wuu", "hsn", "gan", "cjy", "cdo", "cpx", "czh", "mnp"), "zh"
    ),
    **dict.fromkeys(("arb", "arz", "apc", "ary", "acm", "ajp", "aeb", "afb", "ars"), "ar"),
    "pes": "fa",
    "prs": "fa",
    "zlm": "ms",
    "zsm": "ms",
    "swh": "sw",
    "nob": "nb",
}


def language_tag(value: object, *, field: str = "language") -> str:
    """``value`` as a language tag in its usual case (``zh-hant-tw`` → ``zh-Hant-TW``).

    Raises :class:`InvalidInput` naming ``field`` for anything that is not a
    tag: a language of two or three letters, then subtags of letters and digits.
    """
    if not isinstance(value, str) or not _TAG.match(value.strip()) or len(value.strip()) > MAX_TAG_LENGTH:
        raise InvalidInput(f"{value!r} is not a language tag; use one like en, fr, zh or pt-BR", field=field)
    primary, *rest = value.strip().split("-")
    parts = [primary.lower()]
    for index, part in enumerate(rest):
        if len(part) == 4 and part.isalpha():
            parts.append(part.title())  # script: Hant, Latn
        elif index <= 1 and len(part) == 2 and part.isalpha():
            parts.append(part.upper())  # region: TW, BR
        else:
            parts.append(part.lower())
    return "-".join(parts)


def optional_language_tag(value: object) -> str | None:
    """:func:`language_tag` for a value that may be absent (``None`` or blank: no language)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return language_tag(value)


def primary_language(tag: str) -> str:
    """The language of ``tag`` without region or script, varieties folded (``cmn-latn`` → ``zh``)."""
    primary = tag.strip().split("-")[0].lower()
    return _MACRO.get(primary, primary)


def matches_language(candidate: str, wanted: str) -> bool:
    """Whether a voice (or text) in language ``candidate`` serves a request for ``wanted``.

    The primary languages must agree, and every subtag ``wanted`` names after
    it must come next in ``candidate``: ``en-gb-scotland`` serves ``en`` and
    ``en-GB``, not ``en-US``; ``cmn`` serves ``zh``.
    """
    if not candidate or primary_language(candidate) != primary_language(wanted):
        return False
    asked = [part.lower() for part in wanted.split("-")[1:]]
    offered = [part.lower() for part in candidate.split("-")[1:]]
    return offered[: len(asked)] == asked


class _Spoken(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def language(self) -> str: ...


SpokenT = TypeVar("SpokenT", bound=_Spoken)


def voices_for_language(voices: Sequence[SpokenT], language: str) -> list[SpokenT]:
    """The voices that speak ``language``, by their language or their id (see :func:`matches_language`)."""
    return [v for v in voices if matches_language(v.language, language) or matches_language(v.id, language)]


def voice_for_language(voices: Sequence[SpokenT], language: str) -> SpokenT | None:
    """The voice to use for ``language`` when none is named, or ``None`` if no voice speaks it.

    The engine's default (the first voice) when it speaks the language; else
    one whose language or id is exactly the tag (``fr`` before ``fr-be``);
    else the first that speaks it, in the engine's order.
    """
    speaking = voices_for_language(voices, language)
    if not speaking:  # no voice for the region or script asked for: one for the language will do
        primary = primary_language(language)
        speaking = [v for v in voices if primary_language(v.language or v.id) == primary]
    if not speaking:
        return None
    if voices and speaking[0] is voices[0]:
        return speaking[0]
    exact = language.lower()
    return next((v for v in speaking if exact in (v.language.lower(), v.id.lower())), speaking[0])
