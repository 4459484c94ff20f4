"""Every video plays at -14 LUFS with true peaks under -1 dBTP, whatever the voice, with or without music.

Measured on the decoded MP4 with FFmpeg's own EBU R128 meter (``ebur128``),
not with the numpy meter the compositor normalises with, so a mistake in
one shows up against the other.
"""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.media_checks import decoded_audio, loudness, measured_loudness

from oasis_core import Aspect, Composition, ProviderConfig, Speech
from oasis_core.domain.catalogue import get_style
from oasis_core.services.captions import plan_captions
from oasis_core.testing import FakeSpeechEngine, FakeVisualSource
from oasis_plugins.pyav import PyAVCompositor
from oasis_plugins.pyav.audio_mix import MUSIC_GAP_LU, MUSIC_PAUSE_GAP_LU
from oasis_plugins.pyav.loudness import (
    RATE,
    TRUE_PEAK_CEILING,
    integrated_loudness,
    normalised,
    true_peak,
)

pytestmark = pytest.mark.slow
SMALL = Aspect("small", 240, 428)
"""A small frame: these tests are about the sound, and a small picture encodes in no time."""
TARGET, TOLERANCE, CEILING = -14.0, 1.0, -1.0
VOICE_HZ = 220.0  # the fake speech engine's tone
MUSIC_HZ = (660.0, 1500.0)


def compose(tmp_path: Path, speech: Speech, music: Path | None = None, tail: float = 1.2) -> Path:
    duration = speech.duration + tail
    visuals = FakeVisualSource().create("dunes", get_style("minimal"), SMALL, duration, tmp_path)
    composition = Composition(
        speech=speech,
        visuals=visuals,
        captions=plan_captions(speech.words, duration),
        aspect=SMALL,
        duration=duration,
        output_path=tmp_path / "v.mp4",
        thumbnail_path=tmp_path / "v.jpg",
        music_path=music,
    )
    return PyAVCompositor(ProviderConfig()).compose(composition).path


def assert_broadcast_level(video: Path) -> None:
    measured = loudness(video)
    assert measured.integrated == pytest.approx(TARGET, abs=TOLERANCE)
    assert measured.true_peak <= CEILING


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Mono 16-bit WAV, the way espeak and most offline engines hand over speech."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def fake_speech(tmp_path: Path, text: str = "Steady hands and patient hearts will carry you far") -> Speech:
    return FakeSpeechEngine().synthesize(text, tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "Waste no more time arguing.",
        # hisses and pops: espeak's peakiest sounds, which AAC lifts most after the limiter
        "Sss. Shh! Fricatives, sibilants and plosives: pop, pick, tick, kiss.",
    ],
)
def test_an_espeak_voice_is_brought_to_broadcast_loudness(tmp_path: Path, text: str) -> None:
    from oasis_plugins.espeak import EspeakSpeechEngine

    speech = EspeakSpeechEngine(ProviderConfig()).synthesize(text, tmp_path)
    raw, rate = decoded_audio(speech.audio_path)
    assert rate == 22050 and measured_loudness(raw, rate).integrated < TARGET - 2  # espeak speaks quietly
    assert_broadcast_level(compose(tmp_path, speech))


def test_an_mp3_voice_is_brought_to_broadcast_loudness(tmp_path: Path) -> None:
    from tests.fakes.elevenlabs_api import encode_mp3

    speech = fake_speech(tmp_path)
    voice = tmp_path / "voice.mp3"
    voice.write_bytes(encode_mp3(speech.duration))
    assert_broadcast_level(compose(tmp_path, Speech(voice, speech.duration, speech.words)))


@pytest.mark.parametrize(
    ("label", "shape"),
    [
        ("whispered", lambda t: 0.004 * np.sin(2 * np.pi * 180 * t)),
        # a square wave at full scale: far too loud, with peaks over 0 dBTP between the samples
        ("shouted", lambda t: np.sign(np.sin(2 * np.pi * 300 * t))),
    ],
)
def test_very_quiet_and_very_loud_voices_end_at_the_same_level(tmp_path: Path, label: str, shape) -> None:  # type: ignore[no-untyped-def]
    speech = fake_speech(tmp_path)
    t = np.arange(round(speech.duration * 16000)) / 16000
    voice = tmp_path / f"{label}.wav"
    write_wav(voice, shape(t), 16000)
    before = measured_loudness(*decoded_audio(voice))
    assert abs(before.integrated - TARGET) > 10  # the input really is far off the target
    assert_broadcast_level(compose(tmp_path, Speech(voice, speech.duration, speech.words)))


def write_music(path: Path, amplitude: float, seconds: float = 2.0) -> None:
    """Stereo 44.1 kHz 'music': two tones away from the voice's, so the mix can be taken apart again."""
    rate = 44100
    t = np.arange(round(rate * seconds)) / rate
    tone = sum(np.sin(2 * np.pi * hz * t) for hz in MUSIC_HZ) * amplitude / len(MUSIC_HZ)
    pcm = (np.clip(tone, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            np.stack([pcm, pcm]).T.reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def split_voice_and_music(audio: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The voice's tone and everything else, separated by frequency."""
    spectrum = np.fft.rfft(audio, axis=-1)
    frequencies = np.fft.rfftfreq(audio.shape[-1], 1 / rate)
    is_voice = np.abs(frequencies - VOICE_HZ) < 40
    voice = np.fft.irfft(spectrum * is_voice, n=audio.shape[-1], axis=-1)
    music = np.fft.irfft(spectrum * ~is_voice, n=audio.shape[-1], axis=-1)
    return voice.astype(np.float32), music.astype(np.float32)


@pytest.mark.parametrize("music_amplitude", [0.95, 0.02], ids=["music-louder-than-voice", "music-quieter"])
def test_music_sits_well_under_the_voice_and_the_mix_is_at_broadcast_level(
    tmp_path: Path, music_amplitude: float
) -> None:
    speech = fake_speech(tmp_path)
    music = tmp_path / "music.wav"
    write_music(music, music_amplitude)
    video = compose(tmp_path, speech, music, tail=3.5)  # a long pause after the words, as under an end card
    assert_broadcast_level(video)

    audio, rate = decoded_audio(video)
    assert audio.shape[0] == 2
    # while speaking: from half a second in (the music has ducked) to the last word
    spoken = audio[:, round(0.5 * rate) : round((speech.duration - 0.1) * rate)]
    voice, under = split_voice_and_music(spoken, rate)
    gap = measured_loudness(voice, rate).integrated - measured_loudness(under, rate).integrated
    assert gap >= 12.0, f"the music is only {gap:.1f} LU under the voice"
    assert gap == pytest.approx(MUSIC_GAP_LU, abs=2.0)
    # once the voice has stopped, the music comes up again (and is not ducked away to nothing)
    pause = audio[:, round((speech.duration + 1.0) * rate) : round((speech.duration + 1.6) * rate)]
    raised = measured_loudness(pause, rate).integrated - measured_loudness(under, rate).integrated
    assert raised == pytest.approx(MUSIC_GAP_LU - MUSIC_PAUSE_GAP_LU, abs=2.0)


def test_silence_stays_silent(tmp_path: Path) -> None:
    speech = fake_speech(tmp_path, "Quiet")
    voice = tmp_path / "silence.wav"
    write_wav(voice, np.zeros(round(speech.duration * 22050)), 22050)
    audio, _ = decoded_audio(compose(tmp_path, Speech(voice, speech.duration, speech.words)))
    assert np.abs(audio).max() < 1e-3


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seconds=st.floats(0.5, 4.0),
    hz=st.floats(40.0, 12000.0),
    amplitude=st.floats(0.01, 1.0),
    noise=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**16),
)
def test_the_numpy_meter_reads_what_ffmpegs_ebur128_reads(
    seconds: float, hz: float, amplitude: float, noise: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    signal = amplitude * np.sin(2 * np.pi * hz * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 1.3 * t))
    signal = signal + noise * amplitude * rng.standard_normal(t.size)
    signal = (signal * min(1.0, 0.9 / np.abs(signal).max())).astype(np.float32)[None, :]  # ebur128 clips at 1
    reference = measured_loudness(signal, RATE)
    assert integrated_loudness(signal) == pytest.approx(reference.integrated, abs=0.1)
    # ebur128 writes its true peak with three decimals, linear: compare at that precision. Ours must
    # never read lower (that would let peaks through the limiter); on loud noise near the Nyquist
    # frequency its short interpolator reads up to about 1.5 dB higher, which only limits a little more.
    ours, theirs = 10 ** (true_peak(signal) / 20), 10 ** (reference.true_peak / 20)
    assert theirs * 0.97 - 6e-4 <= ours <= theirs * 1.19 + 6e-4


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seconds=st.floats(0.5, 4.0),
    level=st.floats(-40.0, 0.0),
    crest=st.floats(1.0, 6.0),
    seed=st.integers(0, 2**16),
)
def test_normalising_reaches_the_target_and_never_lets_a_peak_through(
    seconds: float, level: float, crest: float, seed: int
) -> None:
    """Noise bursts of any level and peakiness: -14 LUFS (a fifth of an LU) and true peaks under the ceiling."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    bursts = np.abs(np.sin(2 * np.pi * 2.1 * t)) ** crest  # higher crest: shorter, peakier bursts
    signal = (rng.standard_normal(t.size) * bursts * 10 ** (level / 20)).astype(np.float32)[None, :]
    signal = np.clip(signal, -1, 1)
    out = normalised(signal)
    assert true_peak(out) <= TRUE_PEAK_CEILING + 0.05
    assert integrated_loudness(out) == pytest.approx(TARGET, abs=0.25)
