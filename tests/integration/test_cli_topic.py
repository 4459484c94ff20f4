"""``oasis render --topic``: a narrated script told in scenes, each cut where its first word is spoken."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.integration.test_cli import oasis
from tests.media_checks import frames_rgb, probe

from oasis_core.ports.provider import ProviderConfig
from oasis_core.services.scene_cuts import plan_shots, scene_starts
from oasis_plugins.espeak.speech_engine import EspeakSpeechEngine

TOP_BAND = (0.02, 0.16)
"""The band of the frame, as fractions of its height, compared: above every caption and the end card."""


GRID = (4, 8)
"""The band is compared as the mean colours of this many blocks (rows, columns): the slow zoom and pan
inside a scene moves fine texture, which a pixel-by-pixel comparison would count as change."""


def _band(frame: np.ndarray) -> np.ndarray:
    height = frame.shape[0]
    band = frame[int(height * TOP_BAND[0]) : int(height * TOP_BAND[1])].astype(np.float64)
    rows, columns = GRID
    tall, wide = band.shape[0] // rows, band.shape[1] // columns
    blocks = band[: tall * rows, : wide * columns].reshape(rows, tall, columns, wide, 3)
    return blocks.mean(axis=(1, 3))


def _difference(one: np.ndarray, two: np.ndarray) -> float:
    return float(np.abs(_band(one) - _band(two)).mean())


def test_a_topic_becomes_a_30_second_video_in_scenes_cut_at_their_first_words(tmp_path: Path) -> None:
    result = oasis(
        "render", "--topic", "why sleep matters", "--length", "30", "--speech", "espeak",
        "--llm", "offline", "--visuals", "procedural", "--output", "sleep.mp4", "--json", "--quiet",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    scenes = [scene["text"] for scene in answer["scenes"]]
    assert len(scenes) >= 4
    assert answer["text"] == " ".join(scenes)
    assert scenes[0].startswith("On why sleep matters")  # the hook names the topic
    assert all(scene["visual_prompt"] and scene["search_terms"] for scene in answer["scenes"])

    video = tmp_path / "sleep.mp4"
    found = probe(video)
    assert 25 <= found.video_seconds <= 35, found.video_seconds

    # the same engine, voice and text give the same word timings: where each scene must start
    speech = EspeakSpeechEngine(ProviderConfig()).synthesize(answer["text"], tmp_path)
    starts = scene_starts(speech.words, scenes)
    cuts = [start for start, _, _ in plan_shots(starts, found.video_seconds)][1:]
    assert len(cuts) >= 3 and all(cut in starts for cut in cuts)
    fps = found.fps
    offsets = (-0.9, -0.45, 0.45, 0.9)  # the cross-fade lasts 0.6 s around the cut
    frames = frames_rgb(video, {round((cut + offset) * fps) for cut in cuts for offset in offsets})
    for cut in cuts:
        early, late, new, newer = (frames[round((cut + offset) * fps)] for offset in offsets)
        within = max(_difference(early, late), _difference(new, newer))
        across = _difference(late, new)
        assert across > 4 and across > 3 * within, (cut, within, across)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--topic", "sleep", "--length", "10"], "The length must be 15 to 90 seconds, not 10"),
        (["--topic", "sleep", "--length", "long"], "argument --length: invalid float value: 'long'"),
        (["--topic", "   "], "The topic is empty"),
        (["--topic", "sleep", "--quote", "Mine."], "Give a topic or a quote, not both"),
        (
            ["--topic", "le sommeil", "--language", "fr", "--llm", "offline"],
            "does not write in 'fr' (choose from: en)",
        ),
    ],
)
def test_a_bad_topic_is_one_line_exit_2_before_any_work(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = oasis("render", *args, "--output", "x.mp4", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("oasis: error: ") and expected in result.stderr, result.stderr
    assert not (tmp_path / "x.mp4").exists()
