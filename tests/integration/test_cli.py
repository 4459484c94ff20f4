"""The ``oasis`` command as a user runs it: errors are one line, outputs are real videos."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.media_checks import frames_rgb, probe, top_level_boxes


def oasis(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OASIS_DATA_DIR": str(cwd or Path.cwd())}
    return subprocess.run(
        [sys.executable, "-m", "oasis_server.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--category", "astrology"], "Unknown category 'astrology' (choose from: motivation, success"),
        (["--style", "sepia"], "Unknown style 'sepia' (choose from: cinematic, minimal"),
        (["--aspect", "4:3"], "Unknown aspect '4:3' (choose from: 9:16, 1:1, 16:9)"),
        (["--voice", "robot"], "Unknown voice 'robot' (choose from: en-us"),
        (["--speech", "nope"], "No speech provider 'nope' is installed (choose from: espeak"),
        (["--quote", "   "], "The quote is empty"),
        (["--quote", "x" * 1200], "The quote is 1200 characters long; the limit is 1000"),
        (["--rate", "9"], "The speaking rate must be between 0.5 and 2.0"),
        (["--music", "no-such-song.mp3"], "The music file 'no-such-song.mp3' does not exist"),
        (["--output", "missing/dir/x.mp4"], "The folder 'missing/dir' does not exist"),
        (["--output", "x.webm"], "The output file must end in .mp4"),
        (["--rate", "fast"], "argument --rate: invalid float value: 'fast'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path: Path, args: list[str], expected: str) -> None:
    if "--output" not in args:
        args = [*args, "--output", "x.mp4"]
    result = oasis("render", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oasis: error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert [p.name for p in tmp_path.iterdir() if p.suffix in {".mp4", ".jpg", ".part"}] == []


def test_an_output_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken.mp4").mkdir()
    result = oasis("render", "--output", "taken.mp4", cwd=tmp_path)
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_listing_commands(tmp_path: Path) -> None:
    plugins = {p["name"]: p for p in json.loads(oasis("plugins", "--json", cwd=tmp_path).stdout)}
    kinds = {(prov["kind"], prov["id"]) for p in plugins.values() for prov in p["providers"]}
    assert {
        ("llm", "offline"),
        ("speech", "espeak"),
        ("visuals", "procedural"),
        ("compositor", "pyav"),
        ("storage", "local"),
    } <= kinds
    assert all(p["version"] for p in plugins.values())
    table = oasis("plugins", cwd=tmp_path).stdout
    assert "oasis_plugins.offline" in table and "procedural" in table
    assert len(oasis("categories", cwd=tmp_path).stdout.splitlines()) >= 10
    assert len(oasis("styles", cwd=tmp_path).stdout.splitlines()) >= 6
    assert "en-us" in oasis("voices", cwd=tmp_path).stdout


@pytest.mark.slow
def test_render_writes_a_valid_captioned_voiced_moving_video(tmp_path: Path) -> None:
    result = oasis(
        "render", "--category", "motivation", "--style", "cinematic", "--output", "x.mp4", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    video = tmp_path / "x.mp4"
    assert "Wrote" in result.stdout and (tmp_path / "x.jpg").is_file()
    info = probe(video)
    assert (info.video_codec, info.audio_codec, info.width, info.height, info.fps) == (
        "h264",
        "aac",
        1080,
        1920,
        30,
    )
    assert info.frames >= 60 and abs(info.audio_seconds - info.video_seconds) < 0.05
    assert info.audio_rms > 0.01, "the voice is silent"
    boxes = top_level_boxes(video)
    assert boxes.index("moov") < boxes.index("mdat")
    step = info.frames // 6
    frames = frames_rgb(video, {i * step for i in range(6)})
    band = slice(int(1920 * 0.5), int(1920 * 0.75))  # the caption area
    caption_bands = [frames[i][band] for i in sorted(frames)]
    changes = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in itertools.pairwise(caption_bands)]
    assert sum(change > 1.0 for change in changes) >= 3, "the captions do not change with the words"
    sky = slice(0, 600)
    assert np.abs(frames[0][sky].astype(int) - frames[5 * step][sky].astype(int)).mean() > 0.5, (
        "the picture is still"
    )
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []
