"""Turning espeak-ng's word events into one timing per whitespace-separated word.

espeak-ng does not speak the words a caller sees: it reads "1999" as three
words, skips a lone "—", takes "well-known" as one word and "e.g." as another,
and speaks dictionary phrases such as "to be" or "déjà vu" as one word whose
later events all point inside its first word. This module maps the events back
onto the words of the text by character offset and fills in the rest:

* an event belongs to the word that contains its character offset (or, when it
  points at whitespace, the next word), never to a word before the previous
  event's one;
* a word with several events keeps the first; when speakable words (ones with a
  letter or digit) between it and the next word with an event got none, the
  extra events are handed to them, which repairs phrases;
* a word still without an event gets a start interpolated between its
  neighbours', in proportion to the letters and digits of the words involved;
* every word ends where the next one starts, and the last one where the sound
  stops.

Chinese is written without spaces, so a whole sentence is one "word" to
:func:`~oasis_core.domain.media.word_spans`; espeak-ng still sends an event
for each word it hears in it, so such a run is first cut where those events
point (Japanese gets an event per sentence only; the caption planner cuts it
further).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

import numpy as np

from oasis_core.domain.media import WordTiming, word_spans
from oasis_core.services.captions import is_unspaced
from oasis_plugins.espeak.library import WordEvent

SILENCE_THRESHOLD = 0.01
"""Samples quieter than this fraction of full scale count as silence (about -40 dBFS)."""


def audible_end(samples: np.ndarray, sample_rate: int, threshold: float = SILENCE_THRESHOLD) -> float:
    """The time, in seconds, just after the last sample louder than ``threshold``; 0.0 if none is."""
    limit = int(threshold * 32767)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > limit)
    return 0.0 if loud.size == 0 else (int(loud[-1]) + 1) / sample_rate


def _weight(word: str) -> int:
    """How long a word is likely to take to say, in letters and digits (at least 1)."""
    return max(1, sum(char.isalnum() for char in word))


def _is_speakable(word: str) -> bool:
    return any(char.isalnum() for char in word)


def _event_times(
    words: Sequence[str], spans: Sequence[tuple[int, int]], events: Sequence[WordEvent], sample_rate: int
) -> list[list[float]]:
    """The times of the events that belong to each word, in order (see the module docs)."""
    starts = [start for start, _ in spans]
    times: list[list[float]] = [[] for _ in words]
    previous = 0
    for event in events:
        index = bisect.bisect_right(starts, event.position) - 1
        if index < 0:
            index = 0
        elif event.position >= spans[index][1]:
            index += 1  # the event points at the whitespace after a word: it is the next word's
        index = min(max(index, previous), len(words) - 1)
        times[index].append(event.sample / sample_rate)
        previous = index
    # Hand the extra events of a word to the speakable words after it that got none.
    with_events = [index for index, found in enumerate(times) if found]
    for position, index in enumerate(with_events):
        following = with_events[position + 1] if position + 1 < len(with_events) else len(words)
        extras = times[index][1:]
        skipped = [other for other in range(index + 1, following) if _is_speakable(words[other])]
        count = min(len(extras), len(skipped))
        if count:
            for other, time in zip(skipped[:count], extras[len(extras) - count :], strict=True):
                times[other].append(time)
    return times


def _split_unspaced_spans(
    text: str, spans: Sequence[tuple[int, int]], events: Sequence[WordEvent]
) -> list[tuple[int, int]]:
    """``spans`` with each run of Chinese or Japanese text cut where an event points inside it."""
    points = sorted({event.position for event in events})
    out: list[tuple[int, int]] = []
    for start, end in spans:
        cuts = [
            point
            for point in points[bisect.bisect_right(points, start) : bisect.bisect_left(points, end)]
            if is_unspaced(text[point - 1]) and is_unspaced(text[point])
        ]
        out.extend(itertools.pairwise([start, *cuts, end]))
    return out


def align_words(
    text: str, events: Sequence[WordEvent], sample_rate: int, *, speech_end: float, duration: float
) -> tuple[WordTiming, ...]:
    """One :class:`WordTiming` per whitespace-separated word of ``text`` (CJK runs cut, above), in order.

    ``events`` are espeak-ng's word events for ``text``; ``speech_end`` is when
    the sound stops (the last word ends there) and ``duration`` the length of
    the audio: every time lies in ``[0, duration]`` and starts never go back.
    """
    spans = _split_unspaced_spans(text, word_spans(text), events)
    words = [text[start:end] for start, end in spans]
    if not words:
        return ()
    times = _event_times(words, spans, events, sample_rate)
    known: dict[int, float] = {}
    latest = 0.0
    for index, found in enumerate(times):
        if found:
            latest = min(max(found[0], latest), duration)
            known[index] = latest
    end = min(max(speech_end, latest), duration)
    # Anchors: a virtual word before the first at 0 s and one after the last at the end of speech.
    anchors = [(-1, 0.0), *sorted(known.items()), (len(words), end)]
    starts = [0.0] * len(words)
    for (left, left_time), (right, right_time) in itertools.pairwise(anchors):
        first = max(left, 0)
        total = sum(_weight(words[index]) for index in range(first, right))
        elapsed = 0
        for index in range(first, right):
            if index in known:
                starts[index] = known[index]
            else:  # after the share of the words before it in this stretch
                starts[index] = left_time + (right_time - left_time) * elapsed / total
            elapsed += _weight(words[index])
    timings: list[WordTiming] = []
    for index, word in enumerate(words):
        start = min(starts[index], duration)
        finish = starts[index + 1] if index + 1 < len(words) else end
        timings.append(WordTiming(word, start, min(max(finish, start), duration)))
    return tuple(timings)
