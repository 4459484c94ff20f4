"""One timing per word from the words whose times are known: what every speech engine's alignment ends with.

A speech engine learns when some words are heard (from character timestamps,
word events or a transcript) and must return a timing for every word of the
script, in order, inside the audio. :func:`fill_word_timings` does that last
step the same way for every engine:

* a word with a known ``(start, end)`` keeps it;
* a word without one gets times interpolated between its neighbours', in
  proportion to the letters and digits of the words involved (from 0 s before
  the first known word, up to the last known end after the last one; with no
  known word at all, spread over the whole ``duration``);
* every time is clamped into ``[0, duration]``, and starts never go back.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from oasis_core.domain.media import WordTiming


def _weight(word: str) -> int:
    """How long a word is likely to take to say, in letters and digits (at least 1)."""
    return max(1, sum(char.isalnum() for char in word))


def fill_word_timings(
    words: Sequence[str], known: Mapping[int, tuple[float, float]], *, duration: float
) -> tuple[WordTiming, ...]:
    """One :class:`WordTiming` per entry of ``words`` (see the module docs).

    ``words`` are non-empty texts as written; ``known`` maps the index of a word
    to its ``(start, end)`` in seconds (entries that are not finite, or indices
    out of range, are ignored); ``duration`` is the length of the audio.
    """
    duration = max(0.0, duration) if math.isfinite(duration) else 0.0
    usable = {
        index: (start, end)
        for index, (start, end) in known.items()
        if 0 <= index < len(words) and math.isfinite(start) and math.isfinite(end)
    }
    last_end = max((end for _, end in usable.values()), default=duration)
    # Anchors: a virtual word before the first ending at 0 s and one after the last starting at the end.
    anchors = [(-1, (0.0, 0.0)), *sorted(usable.items()), (len(words), (last_end, last_end))]
    times: list[tuple[float, float]] = [(0.0, 0.0)] * len(words)
    for (left, (_, left_end)), (right, (right_start, _)) in itertools.pairwise(anchors):
        if left >= 0:
            times[left] = usable[left]
        gap = range(left + 1, right)
        if not gap:
            continue
        total = sum(_weight(words[index]) for index in gap)
        span = max(right_start - left_end, 0.0)
        elapsed = 0
        for index in gap:
            begin = left_end + span * elapsed / total
            elapsed += _weight(words[index])
            times[index] = (begin, left_end + span * elapsed / total)
    timings: list[WordTiming] = []
    previous = 0.0
    for word, (begin, finish) in zip(words, times, strict=True):
        # Known times far apart (1e308 s) can make an interpolated one NaN: it then stays where it was.
        begin = min(max(begin, previous), duration) if math.isfinite(begin) else previous
        finish = min(max(finish, begin), duration) if math.isfinite(finish) else begin
        timings.append(WordTiming(word, begin, finish))
        previous = begin
    return tuple(timings)


__all__ = ["fill_word_timings"]
