"""Real encodes with the PyAV compositor, decoded back and checked."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.media_checks import frames_rgb, probe, top_level_boxes, yellow_centroid

from oasis_core import ASPECTS, Aspect, Composition, ProviderConfig, Scene, Speech, Visuals
from oasis_core.services.captions import caption_geometry, plan_captions
from oasis_core.testing import CompositorContract, FakeSpeechEngine
from oasis_core.testing.contracts.compositor import make_composition
from oasis_plugins.pyav import PyAVCompositor

pytestmark = pytest.mark.slow
FPS = 30


class TestPyAVCompositorContract(CompositorContract):
    @pytest.fixture
    def provider(self) -> PyAVCompositor:
        return PyAVCompositor(ProviderConfig())


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_the_mp4_is_h264_aac_at_30fps_with_fast_start(tmp_path: Path, aspect: Aspect) -> None:
    composition = make_composition(tmp_path, aspect, "Begin where you are, with what you have.")
    video = PyAVCompositor(ProviderConfig()).compose(composition)
    info = probe(video.path)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (info.width, info.height) == (aspect.width, aspect.height)
    assert info.fps == FPS
    assert info.frames == round(composition.duration * FPS)
    assert info.video_seconds == pytest.approx(composition.duration, abs=1 / FPS)
    assert info.audio_seconds == pytest.approx(composition.duration, abs=0.05)
    assert info.audio_rms > 0.02  # the fake voice is a tone at a quarter of full scale
    boxes = top_level_boxes(video.path)
    assert boxes.index("moov") < boxes.index("mdat")
    with Image.open(video.thumbnail_path) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (aspect.width, aspect.height)


def dark_visuals(tmp_path: Path, aspect: Aspect, duration: float) -> Visuals:
    """A dark, gently varying background, so caption pixels stand out."""
    y = np.linspace(0, 40, aspect.height, dtype=np.float32)[:, None]
    x = np.linspace(0, 20, aspect.width, dtype=np.float32)[None, :]
    gray = (10 + y + x).astype(np.uint8)
    path = tmp_path / "dark.png"
    Image.fromarray(np.dstack([gray, gray, gray + 10])).save(path)
    return Visuals((Scene(path, 0.0, duration),), "minimal")


def bright_pixels(frame: np.ndarray) -> int:
    return int((frame.min(axis=2) > 200).sum())


def test_each_word_is_highlighted_from_the_frame_it_is_spoken(tmp_path: Path) -> None:
    aspect = ASPECTS[0]
    speech = FakeSpeechEngine().synthesize("Small steps every day become a long road travelled.", tmp_path)
    duration = speech.duration + 0.5
    phrases = plan_captions(speech.words, duration)
    composition = Composition(
        speech=speech,
        visuals=dark_visuals(tmp_path, aspect, duration),
        captions=phrases,
        aspect=aspect,
        duration=duration,
        output_path=tmp_path / "c.mp4",
        thumbnail_path=tmp_path / "c.jpg",
    )
    PyAVCompositor(ProviderConfig()).compose(composition)
    segments = [(phrase, seg) for phrase in phrases for seg in phrase.segments()]
    first_frames = {seg.start: math.ceil(seg.start * FPS - 1e-6) for _, seg in segments}
    last_frame = round(duration * FPS) - 1
    wanted = {*first_frames.values(), *(f - 1 for f in first_frames.values() if f > 0), last_frame}
    frames = frames_rgb(composition.output_path, wanted)
    geometry = caption_geometry(aspect)

    previous: tuple[float, float] | None = None
    for phrase, segment in segments:
        index = first_frames[segment.start]
        centroid = yellow_centroid(frames[index])
        assert centroid is not None, f"no highlight at frame {index} ({phrase.texts[segment.active]!r})"
        assert abs(centroid[1] - geometry.center_y) < geometry.font_size * 2
        if previous is not None and index > 0:
            before = yellow_centroid(frames[index - 1])
            assert before == pytest.approx(previous, abs=1.0), (
                "the highlight moved before the word was spoken"
            )
            assert centroid != pytest.approx(previous, abs=5.0), (
                "the highlight did not move when the word was spoken"
            )
        previous = centroid
    assert bright_pixels(frames[last_frame]) == 0, "a caption is still shown after the last phrase ended"


def test_music_is_mixed_in_stereo_under_the_voice(tmp_path: Path) -> None:
    import av

    music = tmp_path / "music.wav"
    with av.open(str(music), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=44100, layout="stereo")
        t = np.arange(44100 * 2) / 44100
        tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.stack([tone, tone]).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = 44100
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    composition = make_composition(tmp_path, ASPECTS[1], "Music under words, looping past its own end.")
    with_music = Composition(
        speech=composition.speech,
        visuals=composition.visuals,
        captions=composition.captions,
        aspect=composition.aspect,
        duration=composition.duration,
        output_path=tmp_path / "m.mp4",
        thumbnail_path=tmp_path / "m.jpg",
        music_path=music,
    )
    video = PyAVCompositor(ProviderConfig()).compose(with_music)
    with av.open(str(video.path)) as container:
        assert container.streams.audio[0].layout.name == "stereo"
    info = probe(video.path)
    assert info.audio_seconds == pytest.approx(composition.duration, abs=0.05)
    assert info.audio_rms > 0.02


def test_an_mp3_voice_is_the_soundtrack(tmp_path: Path) -> None:
    """Cloud speech arrives as MP3, whose container counts time in its own units, not in samples."""
    from tests.fakes.elevenlabs_api import encode_mp3

    composition = make_composition(tmp_path, ASPECTS[0], "A voice that came over the wire as an MP3.")
    voice = tmp_path / "voice.mp3"
    voice.write_bytes(encode_mp3(composition.speech.duration))
    speech = Speech(voice, composition.speech.duration, composition.speech.words)
    video = PyAVCompositor(ProviderConfig()).compose(
        Composition(
            speech=speech,
            visuals=composition.visuals,
            captions=composition.captions,
            aspect=composition.aspect,
            duration=composition.duration,
            output_path=tmp_path / "mp3.mp4",
            thumbnail_path=tmp_path / "mp3.jpg",
        )
    )
    info = probe(video.path)
    assert info.audio_codec == "aac"
    assert info.audio_seconds == pytest.approx(composition.duration, abs=0.05)
    assert info.audio_rms > 0.05  # the tone, not silence


def test_the_picture_moves(tmp_path: Path) -> None:
    composition = make_composition(tmp_path, ASPECTS[2], "Slow and steady.")
    video = PyAVCompositor(ProviderConfig()).compose(composition)
    last = round(composition.duration * FPS) - 1
    frames = frames_rgb(video.path, {0, last})
    top_band = slice(0, ASPECTS[2].height // 3)  # above the captions
    difference = np.abs(frames[0][top_band].astype(int) - frames[last][top_band].astype(int)).mean()
    assert difference > 0.5


def test_several_scenes_are_joined_with_cross_fades(tmp_path: Path) -> None:
    aspect = ASPECTS[1]
    speech = FakeSpeechEngine().synthesize(" ".join(["word"] * 30), tmp_path)
    duration = speech.duration + 0.5
    paths = []
    for index, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        path = tmp_path / f"s{index}.png"
        Image.new("RGB", (aspect.width, aspect.height), colour).save(path)
        paths.append(path)
    third = duration / 3
    visuals = Visuals(tuple(Scene(p, i * third, (i + 1) * third) for i, p in enumerate(paths)), "abstract")
    composition = Composition(
        speech=speech,
        visuals=visuals,
        captions=(),
        aspect=aspect,
        duration=duration,
        output_path=tmp_path / "s.mp4",
        thumbnail_path=tmp_path / "s.jpg",
    )
    PyAVCompositor(ProviderConfig()).compose(composition)
    info = probe(composition.output_path)
    assert info.frames == round(duration * FPS)
    checks = {round(third / 2 * FPS): 0, round(third * FPS): None, round(2.5 * third * FPS): 2}
    frames = frames_rgb(composition.output_path, set(checks))
    for index, dominant in checks.items():
        mean = frames[index][:200, :200].reshape(-1, 3).mean(axis=0)
        if dominant is None:  # mid-fade: red and green mixed
            assert mean[0] > 60 and mean[1] > 60
        else:
            assert int(np.argmax(mean)) == dominant


def test_bad_settings_are_refused() -> None:
    from oasis_core import InvalidInput

    with pytest.raises(InvalidInput, match="veryfast"):
        PyAVCompositor(ProviderConfig(settings={"preset": "warp"}))
    with pytest.raises(InvalidInput, match="crf"):
        PyAVCompositor(ProviderConfig(settings={"crf": "99"}))
