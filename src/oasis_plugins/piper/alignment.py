"""Turning Piper's phoneme alignments into one timing per whitespace-separated word of the text.

Piper speaks one chunk per sentence that its phonemizer (espeak-ng) finds. With
alignments, each chunk lists its phonemes in order with the number of samples
each one lasts, the word boundaries (``" "``) included, between a start
marker (``^``) and an end marker (``$``). So the phonemes between two
boundaries are one *spoken word*, and its start and end are known to the
sample.

The spoken words are not always the words of the text as written: "1999" is
spoken as "nineteen ninety-nine" (two or three spoken words), "e.g." as "for
example", and a lone "—" is not spoken at all. This module maps them back:

1. when the caller knows how many spoken words each written word becomes
   (``counts``, from phonemizing each word on its own) and the counts add up
   to what was spoken, each written word gets its own run of spoken words;
2. else, when the speakable written words (those with a letter or digit) are
   exactly as many as the spoken words, they pair one to one;
3. else the speakable words share the spoken time in proportion to their
   letters and digits, the pauses between spoken words skipped.

Words that are not spoken ("—") share the pause around them, and times are
clamped into the audio with starts that never go back, by the filler every
speech engine shares (:func:`~oasis_core.services.word_timings.fill_word_timings`).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence

from attrs import frozen

from oasis_core.domain.media import WordTiming, word_spans
from oasis_core.services.word_timings import fill_word_timings

WORD_BOUNDARY = " "
MARKERS = frozenset({"^", "$", "_"})
"""Piper's start, end and pad symbols: they belong to no word."""
PUNCTUATION = frozenset("!'(),-.:;?\"¡¿…—–«»“”„‘’")
"""Phonemes that are punctuation: a run of only these is not a spoken word."""


@frozen
class SpokenWord:
    """The phonemes between two word boundaries, and when they are heard (seconds from the start)."""

    phonemes: str
    start: float
    end: float


def spoken_words(
    alignments: Iterable[tuple[str, int]], *, offset: float, sample_rate: float
) -> list[SpokenWord]:
    """The spoken words of one chunk: ``alignments`` are ``(phoneme, samples)`` pairs in order and
    ``offset`` is when the chunk starts in the audio, in seconds (``samples / sample_rate`` seconds each)."""
    words: list[SpokenWord] = []
    current: list[str] = []
    start = end = 0.0
    elapsed = 0
    for phoneme, samples in itertools.chain(alignments, [(WORD_BOUNDARY, 0)]):
        begins = offset + elapsed / sample_rate
        elapsed += max(int(samples), 0)
        if phoneme == WORD_BOUNDARY:
            if current:
                words.append(SpokenWord("".join(current), start, end))
            current = []
        elif phoneme not in MARKERS and phoneme not in PUNCTUATION:
            if not current:
                start = begins
            current.append(phoneme)
            end = offset + elapsed / sample_rate
    return words


def _weight(word: str) -> int:
    """How long a written word is likely to take to say, in letters and digits (at least 1)."""
    return max(1, sum(char.isalnum() for char in word))


def _is_speakable(word: str) -> bool:
    return any(char.isalnum() for char in word)


def _proportional(weights: Sequence[int], spoken: Sequence[SpokenWord]) -> list[tuple[float, float]]:
    """Spans for words of ``weights`` sharing the speaking time of ``spoken`` (pauses skipped)."""
    lengths = [max(word.end - word.start, 0.0) for word in spoken]
    cumulative = list(itertools.accumulate(lengths, initial=0.0))
    total_time = cumulative[-1]
    total_weight = sum(weights)

    def clock(fraction: float) -> float:
        """The time at which ``fraction`` of the speaking time has passed."""
        target = fraction * total_time
        index = min(max(bisect.bisect_right(cumulative, target) - 1, 0), len(spoken) - 1)
        return spoken[index].start + min(target - cumulative[index], lengths[index])

    spans: list[tuple[float, float]] = []
    done = 0
    for weight in weights:
        spans.append((clock(done / total_weight), clock((done + weight) / total_weight)))
        done += weight
    return spans


def _spans(
    words: Sequence[str], spoken: Sequence[SpokenWord], counts: Sequence[int] | None
) -> list[tuple[float, float] | None]:
    """When each written word is heard, or ``None`` for a word that is not spoken (module docs, 1–3)."""
    spans: list[tuple[float, float] | None] = [None] * len(words)
    if not spoken:
        return spans
    speakable = [index for index, word in enumerate(words) if _is_speakable(word)]
    if counts is not None and len(counts) == len(words) and sum(counts) == len(spoken):
        position = 0
        for index, count in enumerate(counts):
            if count > 0:
                spans[index] = (spoken[position].start, spoken[position + count - 1].end)
            position += count
    elif len(speakable) == len(spoken):
        for index, word in zip(speakable, spoken, strict=True):
            spans[index] = (word.start, word.end)
    else:
        shares = _proportional([_weight(words[index]) for index in speakable] or [1], spoken)
        for index, span in zip(speakable, shares, strict=False):
            spans[index] = span
    return spans


def align_words(
    text: str,
    spoken: Sequence[SpokenWord],
    *,
    duration: float,
    counts: Sequence[int] | None = None,
) -> tuple[WordTiming, ...]:
    """One :class:`WordTiming` per whitespace-separated word of ``text``, in order (see the module docs).

    ``spoken`` are the spoken words of every chunk, in order, with times in
    the whole audio; ``duration`` is the audio's length. ``counts``, if
    given, is how many spoken words each written word becomes.
    """
    words = [text[start:end] for start, end in word_spans(text)]
    spans = _spans(words, spoken, counts)
    known = {index: span for index, span in enumerate(spans) if span is not None}
    return fill_word_timings(words, known, duration=duration)
