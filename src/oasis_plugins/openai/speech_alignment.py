"""Word timings for a script from a transcript of its audio (OpenAI's word-timestamped transcription).

OpenAI's speech endpoint returns audio only, so the OpenAI speech engine asks
the transcription endpoint when each word is heard and ties those words back
to the script as written. The two rarely agree word for word: the transcript
spells "1990" as "1990" or "nineteen ninety", drops punctuation, changes
casing and apostrophes, splits "well-being", mishears a name, misses or adds a
word. So both are first reduced to the same normalised tokens (case folded,
accents and apostrophes removed, numbers, ordinals, ``%`` and ``&`` spelt out
in English, one token per run of letters or digits), then matched with
:class:`difflib.SequenceMatcher`:

* tokens that match take the time of the transcript's token;
* a run of script tokens the transcript replaced by other words shares the
  time of those words, in proportion to their letters;
* script words the transcript missed (and the words it added) are left to
  :func:`~oasis_core.services.word_timings.fill_word_timings`, which
  interpolates them between their neighbours and keeps every time in order
  and inside the audio.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

from oasis_core.domain.media import WordTiming, word_spans
from oasis_core.services.word_timings import fill_word_timings

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth"}
_ORDINALS |= {"nine": "ninth", "twelve": "twelfth"}
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at "}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th)?|[^\W\d_]+")
_MAX_SPELT = 10**15
"""Numbers from here up are read digit by digit."""


def number_words(number: int) -> list[str]:
    """``number`` (0 or more) in English words: 1990 → ``["one", "thousand", "nine", "hundred", "ninety"]``."""
    if number < 20:
        return [_ONES[number]]
    if number < 100:
        tens, ones = divmod(number, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return [_ONES[hundreds], "hundred"] + (number_words(rest) if rest else [])
    for size, name in _SCALES:
        if number >= size:
            high, rest = divmod(number, size)
            return [*number_words(high), name] + (number_words(rest) if rest else [])
    raise AssertionError(number)  # pragma: no cover - every number ≥ 1000 has a scale


def _year_words(number: int) -> list[str] | None:
    """How a four-digit year is read aloud ("nineteen ninety", "twenty twenty-four"), or ``None``."""
    if not 1100 <= number <= 2099 or 2000 <= number <= 2009:
        return None
    high, low = divmod(number, 100)
    if low == 0:
        return [*number_words(high), "hundred"]
    return [*number_words(high), *(["oh", _ONES[low]] if low < 10 else number_words(low))]


def _ordinal(words: list[str]) -> list[str]:
    last = words[-1]
    if last in _ORDINALS:
        spoken = _ORDINALS[last]
    elif last.endswith("y"):
        spoken = last[:-1] + "ieth"
    else:
        spoken = last + "th"
    return [*words[:-1], spoken]


def _spell_number(token: str) -> list[str]:
    """A run of digits (with separators, an ordinal suffix) as the words it is read as."""
    suffix = token[-2:] if token[-2:].isalpha() else ""
    digits = token.removesuffix(suffix)
    if "." in digits and "," not in digits and digits.count(".") == 1:  # 3.5 → three point five
        whole, fraction = digits.split(".")
        return [*_spell_number(whole), "point", *(_ONES[int(d)] for d in fraction)]
    plain = digits.replace(",", "").replace(".", "")
    if not plain.isdecimal():  # other scripts' digits
        return [token]
    value = int(plain)
    if value >= _MAX_SPELT or (len(plain) > 1 and plain.startswith("0")):
        return [_ONES[int(d)] for d in plain]
    year = _year_words(value) if len(plain) == 4 and "," not in digits and not suffix else None
    words = year or number_words(value)
    return _ordinal(words) if suffix else words


def normalise(text: str) -> list[str]:
    """The tokens ``text`` is compared by: lower case, no accents or apostrophes, numbers spelt out."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in folded if not unicodedata.combining(char)).replace("ı", "i")
    folded = re.sub(r"['’‘ʼ`´]", "", folded)  # don't → dont, as a transcript may write it either way
    for symbol, spoken in _SYMBOLS.items():
        folded = folded.replace(symbol, spoken)
    tokens: list[str] = []
    for token in _TOKEN.findall(folded):
        tokens.extend(_spell_number(token) if token[0].isdigit() else [token])
    return tokens


def _weight(token: str) -> int:
    return max(1, len(token))


def _spread(tokens: Sequence[str], start: float, end: float) -> list[tuple[float, float]]:
    """``(start, end)`` for each of ``tokens``, sharing ``start``–``end`` by their lengths."""
    total = sum(_weight(token) for token in tokens)
    times, elapsed = [], 0
    for token in tokens:
        begin = start + (end - start) * elapsed / total
        elapsed += _weight(token)
        times.append((begin, start + (end - start) * elapsed / total))
    return times


def _heard_tokens(
    transcript: Iterable[tuple[str, float, float]], duration: float
) -> tuple[list[str], list[tuple[float, float]]]:
    """The transcript's tokens and the time of each: a word's time, clamped into the audio, shared by its tokens."""
    tokens: list[str] = []
    times: list[tuple[float, float]] = []
    for word, start, end in transcript:
        if not (math.isfinite(start) and math.isfinite(end)):
            continue
        parts = normalise(word)
        if parts:
            begin = min(max(start, 0.0), duration)
            tokens.extend(parts)
            times.extend(_spread(parts, begin, min(max(end, begin), duration)))
    return tokens, times


def align_transcript(
    text: str, transcript: Iterable[tuple[str, float, float]], *, duration: float
) -> tuple[WordTiming, ...]:
    """One :class:`WordTiming` per whitespace-separated word of ``text``, from a transcript of its audio.

    ``transcript`` is the transcription's words as ``(word, start, end)`` in
    seconds, in the order heard; ``duration`` is the audio's length. Every word
    of ``text`` gets a timing, in order, never going back, inside
    ``[0, duration]``, whatever the transcript holds (see the module docs).
    """
    spans = word_spans(text)
    words = [text[start:end] for start, end in spans]
    owners: list[int] = []  # the script word each script token belongs to
    script: list[str] = []
    for index, word in enumerate(words):
        parts = normalise(word)
        script.extend(parts)
        owners.extend([index] * len(parts))
    duration = max(duration, 0.0) if math.isfinite(duration) else 0.0
    heard, heard_times = _heard_tokens(transcript, duration)
    token_times: dict[int, tuple[float, float]] = {}
    matcher = difflib.SequenceMatcher(None, script, heard, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(a2 - a1):
                token_times[a1 + offset] = heard_times[b1 + offset]
        elif tag == "replace":
            start, end = heard_times[b1][0], max(time[1] for time in heard_times[b1:b2])
            for offset, time in enumerate(_spread(script[a1:a2], start, max(start, end))):
                token_times[a1 + offset] = time
    known: dict[int, tuple[float, float]] = {}
    for token, (start, end) in sorted(token_times.items()):
        owner = owners[token]
        first, last = known.get(owner, (start, end))
        known[owner] = (min(first, start), max(last, end))
    return fill_word_timings(words, known, duration=duration)


__all__ = ["align_transcript", "normalise", "number_words"]
