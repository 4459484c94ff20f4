"""``oasis render``'s caption options, as a user runs them: the style reaches the video; bad values are one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.integration.test_cli import oasis
from tests.media_checks import frames_rgb

from oasis_server.cli.app import build_parser
from oasis_server.cli.caption_options import caption_choice


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--caption-preset", "fancy"], "argument --caption-preset: invalid choice: 'fancy'"),
        (["--caption-position", "left"], "argument --caption-position: invalid choice: 'left'"),
        (["--caption-size", "5"], "The caption size must be a whole number of pixels from 16 to 200"),
        (["--caption-size", "big"], "argument --caption-size: invalid int value: 'big'"),
        (["--caption-colour", "blurple"], "'blurple' is not a colour"),
        (["--caption-highlight-colour", "#12"], "'#12' is not a colour"),
        (["--caption-words", "0"], "words_per_phrase must be a whole number from 1 to 10"),
        (["--caption-font", "No Such Font"], "No installed font is called 'No Such Font'"),
        (["--caption-font", "missing/font.ttf"], "The caption font 'missing/font.ttf' is not a font file"),
    ],
)
def test_a_bad_caption_option_is_one_line_exit_2_and_no_file(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = oasis("render", *args, "--quote", "Hello there.", "--output", "x.mp4", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("oasis: error: ") and expected in lines[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.suffix in {".mp4", ".jpg"}] == []


def test_the_options_make_the_style_and_none_given_is_none() -> None:
    parser = build_parser()
    assert caption_choice(parser.parse_args(["render"])) is None
    args = parser.parse_args(
        [
            "render",
            "--caption-preset",
            "bold",
            "--no-caption-uppercase",
            "--caption-words",
            "5",
            "--caption-size",
            "90",
        ]
    )
    style = caption_choice(args)
    assert style is not None
    assert (style.preset, style.uppercase, style.words_per_phrase, style.size) == ("bold", False, 5, 90)


@pytest.mark.slow
def test_a_render_draws_the_captions_as_the_options_say(tmp_path: Path) -> None:
    result = oasis(
        "render",
        "--quote",
        "Small steps every day.",
        "--caption-preset",
        "boxed",
        "--caption-position",
        "top",
        "--caption-colour",
        "#00ff00",
        "--caption-highlight-colour",
        "#ff00ff",
        "--output",
        "styled.mp4",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    height = json.loads(result.stdout)["height"]
    frames = frames_rgb(tmp_path / "styled.mp4", set(range(6, 40, 3)))
    green, magenta = [], []
    for frame in frames.values():
        r, g, b = (frame[..., i].astype(int) for i in range(3))
        green.extend(np.nonzero((g > 200) & (r < 90) & (b < 90))[0])
        magenta.extend(np.nonzero((r > 200) & (b > 200) & (g < 90))[0])
    assert len(green) > 500 and len(magenta) > 100, "the chosen colours are not drawn"
    assert np.mean(green) < height / 3, "the captions are not at the top"
