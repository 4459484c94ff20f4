"""End to end: ``oasis render --speech piper`` highlights each caption word from the frame Piper speaks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.media_checks import frames_rgb, probe, yellow_centroid

from oasis_core.domain.media import Speech, get_aspect
from oasis_core.services.captions import caption_geometry, plan_captions
from oasis_core.services.render import TAIL_SECONDS
from oasis_plugins.piper import PiperSpeechEngine
from oasis_server.cli.app import main

JOE = "en_US-joe-medium"
QUOTE = "Small steps, taken every single day, become a long road travelled. Keep going."
FPS = 30


@pytest.mark.slow
def test_oasis_render_with_piper_follows_its_word_timings_to_the_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoken: list[Speech] = []
    synthesize = PiperSpeechEngine.synthesize

    def recording(self: PiperSpeechEngine, *args: Any, **kwargs: Any) -> Speech:
        # Piper's durations vary from run to run, so the test keeps the timings this render used.
        speech = synthesize(self, *args, **kwargs)
        spoken.append(speech)
        return speech

    monkeypatch.setattr(PiperSpeechEngine, "synthesize", recording)
    monkeypatch.setenv("OASIS_DATA_DIR", str(tmp_path / "data"))
    output = tmp_path / "piper.mp4"
    status = main(
        ["render", "--speech", "piper", "--voice", JOE, "--quote", QUOTE, "--style", "monochrome",
         "--output", str(output), "--quiet"]
    )  # fmt: skip
    assert status == 0 and output.is_file()
    (speech,) = spoken
    assert speech.voice == JOE and [w.text for w in speech.words] == QUOTE.split()
    info = probe(output)
    assert info.audio_rms > 0.01 and info.audio_seconds >= speech.duration

    phrases = plan_captions(speech.words, speech.duration + TAIL_SECONDS)
    segments = [(phrase, segment) for phrase in phrases for segment in phrase.segments()]
    # The compositor switches a caption at the frame nearest its time: within half a frame of Piper's timing.
    first_frames = {segment.start: round(segment.start * FPS) for _, segment in segments}
    wanted = {*first_frames.values(), *(frame - 1 for frame in first_frames.values() if frame > 0)}
    frames = frames_rgb(output, wanted)
    geometry = caption_geometry(get_aspect("9:16"))
    previous: tuple[float, float] | None = None
    compared = 0
    for phrase, segment in segments:
        index = first_frames[segment.start]
        if abs(segment.start * FPS % 1 - 0.5) < 0.02 or segment.end - segment.start < 1.5 / FPS:
            previous = None  # halfway between two frames, or too short to have a frame before the next word
            continue
        centroid = yellow_centroid(frames[index])
        word = phrase.texts[segment.active]
        assert centroid is not None, f"no highlight at frame {index} ({word!r})"
        assert abs(centroid[1] - geometry.center_y) < geometry.font_size * 2
        if previous is not None and index > 0 and segment.active > 0:
            before = yellow_centroid(frames[index - 1])
            assert before == pytest.approx(previous, abs=1.0), (
                f"the highlight moved before {word!r} was spoken"
            )
            compared += 1
            assert centroid != pytest.approx(previous, abs=5.0), (
                f"the highlight stayed when {word!r} was spoken"
            )
        previous = centroid
    assert compared >= 6, "too few word changes were checked"
