"""Timed caption phrases: what the compositor burns into the picture, and when."""

from __future__ import annotations

from attrs import frozen

from oasis_core.domain.media import WordTiming


@frozen
class CaptionSegment:
    """A stretch of time during which one phrase shows with one word highlighted."""

    start: float
    end: float
    active: int


@frozen
class CaptionPhrase:
    """A short group of words shown together from ``start`` to ``end``."""

    words: tuple[WordTiming, ...]
    start: float
    end: float

    @property
    def texts(self) -> tuple[str, ...]:
        """The words as written."""
        return tuple(w.text for w in self.words)

    def segments(self) -> tuple[CaptionSegment, ...]:
        """The highlight segments: word ``i`` is highlighted from when it is heard until the next word.

        Segments are contiguous, do not overlap and exactly cover ``start..end``.
        """
        out: list[CaptionSegment] = []
        begin = self.start
        for index in range(len(self.words)):
            if index + 1 < len(self.words):
                end = min(self.end, max(begin, self.words[index + 1].start))
            else:
                end = self.end
            out.append(CaptionSegment(begin, end, index))
            begin = end
        return tuple(out)
