"""What a caption's text needs from a font: its scripts, its direction, its CJK region.

Font files are named after the script they serve (``NotoSansArabic``,
``NotoSansDevanagari``, ``NotoSansCJK``), and Unicode names every character
after its script (``ARABIC LETTER ALEF``, ``CJK UNIFIED IDEOGRAPH-4E00``), so the
first word of a character's name finds the likely font without reading every
font on the system first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_CJK_WORDS = frozenset({"cjk", "hiragana", "katakana", "hangul", "ideographic", "bopomofo", "kanbun"})
_RTL_CLASSES = frozenset({"R", "AL"})
_IGNORED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
CJK_REGIONS = ("JP", "KR", "SC", "TC", "HK")
"""The regional faces of Noto Sans CJK, by the names inside the collection."""
_REGION_OF_LANGUAGE = {
    "ja": "JP",
    "jpn": "JP",
    "ko": "KR",
    "kor": "KR",
    "zh-tw": "TC",
    "zh-hant": "TC",
    "zh-hk": "HK",
    "zh-mo": "HK",
    "yue": "HK",
    "zh": "SC",
    "zh-cn": "SC",
    "zh-hans": "SC",
    "zh-sg": "SC",
    "cmn": "SC",
    "hak": "TC",
}


def needs_glyph(char: str) -> bool:
    """Whether ``char`` must be drawn from a glyph (spaces, controls, joiners and combining marks aside).

    Combining marks are left out because shaping may draw them as part of the
    letter before them (or the font omits them harmlessly); every other
    character must be in the font.
    """
    return unicodedata.category(char) not in _IGNORED_CATEGORIES


def script_word(char: str) -> str:
    """A lower-case word naming the script of ``char`` as font files name it (``"arabic"``, ``"cjk"``)."""
    first = unicodedata.name(char, "").split(" ", 1)[0].lower()
    if first in _CJK_WORDS or (first in ("fullwidth", "halfwidth") and ord(char) >= 0xFF00):
        return "cjk"
    return first


def scripts_of(text: str) -> list[str]:
    """The script words of the characters of ``text`` that need a glyph, most frequent first."""
    counts: dict[str, int] = {}
    for char in text:
        if needs_glyph(char):
            word = script_word(char)
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda word: -counts[word])


def is_right_to_left(text: str) -> bool:
    """Whether ``text`` reads right to left: its first strongly directional character is Hebrew, Arabic …"""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in _RTL_CLASSES:
            return True
        if direction == "L":
            return False
    return False


def cjk_region(texts: Iterable[str], language: str | None = None) -> str:
    """Which regional CJK face suits ``texts``: from ``language`` if it says, else from the characters.

    Kana means Japanese and Hangul Korean; Han characters alone are taken as
    Simplified Chinese.
    """
    if language:
        tag = language.strip().lower().replace("_", "-")
        for key in (tag, "-".join(tag.split("-")[:2]), tag.split("-")[0]):
            if key in _REGION_OF_LANGUAGE:
                return _REGION_OF_LANGUAGE[key]
    hangul = False
    for text in texts:
        for char in text:
            word = unicodedata.name(char, "").split(" ", 1)[0]
            if word in ("HIRAGANA", "KATAKANA"):
                return "JP"
            hangul = hangul or word == "HANGUL"
    return "KR" if hangul else "SC"
