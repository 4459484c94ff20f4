"""Scene cuts for a narrated script: each scene's picture starts with its first spoken word.

A script's scenes are spoken as one narration. The speech engine times every
word, so the first word of each scene says when its picture should appear;
captions are planned scene by scene, so no caption phrase shows words of two
scenes or stays on screen past the cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from oasis_core.domain.captions import CaptionPhrase
from oasis_core.domain.catalogue import Style
from oasis_core.domain.media import Aspect, Scene, Visuals, WordTiming
from oasis_core.domain.script import ScriptScene, word_count
from oasis_core.ports.visual_source import VisualSource
from oasis_core.services.captions import plan_captions

MIN_SHOT_SECONDS = 1.5
"""The shortest a picture stays on screen: a scene spoken quicker than this keeps the previous picture."""


def scene_word_ranges(scene_texts: Sequence[str], spoken: int) -> list[tuple[int, int]]:
    """The ``(first, stop)`` indices into the narration's ``spoken`` timed words of each scene's words.

    Speech engines time every word of the narration as :meth:`str.split`
    finds it, so scene ``k`` owns the words after those of the scenes before
    it. Should an engine time fewer words, the last scenes share what is left
    (a scene may then own none).
    """
    counts = [word_count(text) for text in scene_texts]
    ranges = []
    for first, count in zip(itertools.accumulate([0, *counts]), counts, strict=False):
        ranges.append((min(first, spoken), min(first + count, spoken)))
    return ranges


def scene_starts(words: Sequence[WordTiming], scene_texts: Sequence[str]) -> list[float]:
    """When each scene starts: 0 for the first, else the start of its first spoken word.

    A scene without a timed word starts where the one before it does.
    """
    starts: list[float] = []
    for index, (first, stop) in enumerate(scene_word_ranges(scene_texts, len(words))):
        if index == 0:
            starts.append(0.0)
        elif first < stop:
            starts.append(max(starts[-1], words[first].start))
        else:
            starts.append(starts[-1])
    return starts


def plan_shots(
    starts: Sequence[float], duration: float, *, min_seconds: float = MIN_SHOT_SECONDS
) -> list[tuple[float, float, int]]:
    """``(start, end, scene)`` of each picture: contiguous from 0 to exactly ``duration``.

    One picture per scene, starting at the scene's start, except that a scene
    shorter than ``min_seconds`` (or the rest of the video) is shown over the
    previous scene's picture, so no picture flashes by.
    """
    shots: list[tuple[float, float, int]] = []
    for index, start in enumerate(starts):
        if start >= duration:
            break
        if shots and (start - shots[-1][0] < min_seconds or duration - start < min_seconds):
            continue
        if shots:
            shots[-1] = (shots[-1][0], start, shots[-1][2])
        shots.append((start, duration, index))
    if not shots:
        return [(0.0, duration, 0)]
    shots[0] = (0.0, shots[0][1], shots[0][2])
    return shots


def plan_scene_captions(
    words: Sequence[WordTiming],
    scene_texts: Sequence[str],
    duration: float,
    *,
    max_words: int,
    max_chars: int,
) -> tuple[CaptionPhrase, ...]:
    """Caption phrases planned scene by scene (see :func:`plan_captions`).

    A phrase holds words of one scene only, and the last phrase of a scene
    leaves the screen by the time the next scene starts.
    """
    ranges = [(first, stop) for first, stop in scene_word_ranges(scene_texts, len(words)) if first < stop]
    phrases: list[CaptionPhrase] = []
    for (first, stop), following in zip(ranges, [*ranges[1:], None], strict=True):
        until = duration if following is None else min(duration, words[following[0]].start)
        phrases.extend(plan_captions(words[first:stop], until, max_words=max_words, max_chars=max_chars))
    return tuple(phrases)


def create_scene_visuals(
    source: VisualSource,
    scenes: Sequence[ScriptScene],
    shots: Sequence[tuple[float, float, int]],
    *,
    fallback_prompt: str,
    style: Style,
    aspect: Aspect,
    workdir: Path,
) -> Visuals:
    """Ask ``source`` for each shot's picture from its own scene's visual prompt; one :class:`Visuals`.

    Each shot is asked for separately (the scene's text as its only part), and
    what the source answers is moved to the shot's place in the video, so a
    source that makes one picture per call and one that makes several both fit.
    A scene without a visual prompt uses ``fallback_prompt``. Usage is summed.
    """
    placed: list[Scene] = []
    usage: dict[str, int] = {}
    for number, (start, end, index) in enumerate(shots):
        scene = scenes[index]
        folder = workdir / f"scene-{number + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        made = source.create(
            scene.visual_prompt or fallback_prompt,
            style,
            aspect,
            end - start,
            folder,
            scene_texts=(scene.text,),
        )
        for part in made.scenes:
            placed.append(Scene(part.image_path, start + part.start, min(end, start + part.end)))
        placed[-1] = Scene(placed[-1].image_path, placed[-1].start, end)
        for name, count in made.usage.items():
            usage[name] = usage.get(name, 0) + count
    return Visuals(tuple(placed), style=style.id, usage=usage)
