"""Planning the scenes of a video: how many pictures, for which parts of the script, and when.

Visual sources that make one picture per part of the script share this, so
every source cuts a script into scenes the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, pairwise

from oasis_core.domain.media import Aspect

OVERSCAN_PERCENT = 115
"""Images are this percentage of the frame in each direction, leaving room for zoom and pan."""


def overscan_size(aspect: Aspect) -> tuple[int, int]:
    """The pixel size of the images made for ``aspect``: 115 % of the frame, rounded up to even numbers."""

    def grow(pixels: int) -> int:
        size = -(-pixels * OVERSCAN_PERCENT // 100)
        return size + size % 2

    return grow(aspect.width), grow(aspect.height)


def group_bounds(weights: Sequence[int], groups: int) -> list[int]:
    """Cut ``weights`` into ``groups`` contiguous runs of similar totals; the cut positions, 0 and len included."""
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    cuts, previous = [], 0
    for k in range(1, groups):
        target = total * k / groups
        candidates = range(previous + 1, len(weights) - (groups - k) + 1)
        cut = min(candidates, key=lambda c: abs(cumulative[c - 1] - target))
        cuts.append(cut)
        previous = cut
    return [0, *cuts, len(weights)]


def plan_scene_groups(
    duration: float, weights: Sequence[int], *, max_scenes: int, min_seconds: float
) -> list[tuple[float, float, int, int]]:
    """``(start, end, first, stop)`` of each scene: it lasts from ``start`` to ``end`` and shows the
    script parts ``first:stop``.

    Scenes are contiguous from 0 to exactly ``duration``. There is one per
    part, contiguous parts grouped into at most ``max_scenes``, and fewer when
    the video is too short for each to last ``min_seconds``; each gets that
    minimum plus a share of the rest in proportion to its parts' weights. With
    fewer than two scenes possible: one scene showing every part.
    """
    count = min(len(weights), max_scenes, int(duration // min_seconds))
    if count < 2:
        return [(0.0, duration, 0, len(weights))]
    bounds = group_bounds(weights, count)
    totals = [sum(weights[a:b]) for a, b in pairwise(bounds)]
    spare = duration - count * min_seconds
    ends = [min_seconds * (i + 1) + spare * done / sum(totals) for i, done in enumerate(accumulate(totals))]
    ends[-1] = duration
    starts = [0.0, *ends[:-1]]
    return [(start, end, a, b) for start, end, (a, b) in zip(starts, ends, pairwise(bounds), strict=True)]
