"""``oasis render --language`` and ``oasis voices --language`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.test_cli import oasis
from tests.media_checks import frames_rgb, probe, yellow_centroid

pytestmark = pytest.mark.slow


def test_voices_are_listed_for_one_language(tmp_path: Path) -> None:
    result = oasis("voices", "--speech", "espeak", "--language", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert ids[0] == "cmn" and "yue" in ids and "en-us" not in ids
    bad = oasis("voices", "--speech", "espeak", "--language", "zh!", cwd=tmp_path)
    assert bad.returncode == 2 and "not a language tag" in bad.stderr


def test_the_offline_writer_refuses_another_language_before_any_work(tmp_path: Path) -> None:
    result = oasis("render", "--llm", "offline", "--language", "fr", "--output", "x.mp4", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not write in 'fr' (choose from: en)" in result.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_a_chinese_video_is_spoken_by_a_chinese_voice_with_captions(tmp_path: Path) -> None:
    text = "千里之行，始于足下。"
    result = oasis(
        "render",
        "--speech",
        "espeak",
        "--language",
        "zh",
        "--quote",
        text,
        "--visual-prompt",
        "a road",
        "--style",
        "monochrome",
        "--output",
        "zh.mp4",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    info = probe(tmp_path / "zh.mp4")
    middle = info.frames // 3
    frame = frames_rgb(tmp_path / "zh.mp4", {middle})[middle]
    # The background is black and white: yellow can only be the highlighted caption word.
    centre = yellow_centroid(frame)
    assert centre is not None, "no highlighted caption word"
    assert info.height * 0.45 < centre[1] < info.height * 0.8
