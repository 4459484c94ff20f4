"""Turning ElevenLabs' character alignment into one timing per whitespace-separated word.

ElevenLabs answers ``/with-timestamps`` with a start and an end time for every
character it aligned. Those characters are normally the characters of the text
it was sent, one for one; when they are not (the service normalised the text:
changed quotes, spelt out a number, dropped a character), they are matched to
the text with :class:`difflib.SequenceMatcher`, so every character that still
lines up keeps its time. Then, for each word of the text:

* a word with aligned characters starts when its first one starts and ends when
  its last one ends;
* a word with none gets times interpolated between its neighbours', in
  proportion to the letters and digits of the words involved;
* every time is clamped into ``[0, duration]`` and starts never go back
  (both by :func:`~oasis_core.services.word_timings.fill_word_timings`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

from oasis_core.domain.media import WordTiming, word_spans
from oasis_core.services.word_timings import fill_word_timings


def _fold(char: str) -> str:
    """A character as it is compared: lower case when that keeps it one character."""
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def _number(value: object) -> float | None:
    """``value`` as a finite float, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _char_times(
    text: str, characters: Sequence[str], starts: Sequence[object], ends: Sequence[object]
) -> list[tuple[float, float] | None]:
    """The ``(start, end)`` time of each character of ``text``, or ``None`` where none was aligned."""
    aligned: list[str] = []
    times: list[tuple[float, float] | None] = []
    for chunk, start, end in zip(characters, starts, ends, strict=True):
        begin, finish = _number(start), _number(end)
        time = None if begin is None or finish is None else (begin, max(begin, finish))
        for char in str(chunk):  # an entry is normally one character, but be lenient
            aligned.append(char)
            times.append(time)
    if "".join(aligned) == text:
        return times
    result: list[tuple[float, float] | None] = [None] * len(text)
    matcher = difflib.SequenceMatcher(
        None, [_fold(c) for c in text], [_fold(c) for c in aligned], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            result[block.a + offset] = times[block.b + offset]
    return result


def words_from_alignment(
    text: str,
    characters: Sequence[str],
    starts: Sequence[object],
    ends: Sequence[object],
    *,
    duration: float,
) -> tuple[WordTiming, ...]:
    """One :class:`WordTiming` per whitespace-separated word of ``text``, in order (see the module docs).

    ``characters``, ``starts`` and ``ends`` are the alignment's three parallel
    lists (they must have the same length: :class:`ValueError` otherwise);
    ``duration`` is the length of the audio, in seconds.
    """
    if not len(characters) == len(starts) == len(ends):
        raise ValueError(
            f"the alignment has {len(characters)} characters but {len(starts)} start "
            f"and {len(ends)} end times"
        )
    duration = max(0.0, duration)
    spans = word_spans(text)
    if not spans:
        return ()
    char_times = _char_times(text, characters, starts, ends)
    words = [text[start:end] for start, end in spans]
    known: dict[int, tuple[float, float]] = {}
    for index, (start, end) in enumerate(spans):
        found = [time for time in char_times[start:end] if time is not None]
        if found:
            known[index] = (found[0][0], found[-1][1])
    return fill_word_timings(words, known, duration=duration)
