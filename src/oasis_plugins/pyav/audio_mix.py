"""The soundtrack: the voice padded to the video's length, music ducked under it, at broadcast loudness.

The whole soundtrack is held in memory (a minute of 48 kHz stereo float is
23 MB), measured and normalised in one go with :mod:`.loudness`: every
video comes out at -14 LUFS integrated with true peaks under -1 dBTP,
whichever voice provider spoke it (espeak's 22.05 kHz WAV, a cloud MP3)
and however loud it spoke.

Music sits :data:`MUSIC_GAP_LU` under the voice while it speaks and rises
to :data:`MUSIC_PAUSE_GAP_LU` under it in pauses and on the end card; both
are set from measured loudness, so a loud song and a faint one end up at
the same place under the voice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame

from oasis_plugins.pyav.loudness import (
    RATE,
    Audio,
    block_loudness,
    gated_loudness,
    integrated_loudness,
    normalised,
)

SAMPLE_RATE = RATE
MUSIC_GAP_LU = 15.0
"""How far the music sits under the voice while the voice speaks."""
MUSIC_PAUSE_GAP_LU = 8.0
"""How far under the voice's level the music sits in pauses and under the end card."""
MUSIC_FADE_OUT = 1.5
"""Seconds over which the music fades out at the end."""
SPEAKING_HANGOVER = 0.3
"""Seconds around speech still counted as speaking, so the music does not pump between words."""
DUCK_RAMP = 0.25
"""Seconds the music takes to move between its two levels."""
FRAME_SAMPLES = 1024


def _decoded(path: Path) -> Iterator[AudioFrame]:
    """The file's audio frames, stamped in samples (time base 1/rate) from zero.

    Containers count time in their own units (MP3 in 1/14,112,000 s); the
    resampler expects time in samples, so every frame is stamped again
    here, whatever the container.
    """
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        produced = 0
        for frame in container.decode(stream):
            frame.pts = produced
            frame.time_base = Fraction(1, frame.sample_rate)
            produced += frame.samples
            yield frame


def _music_frames(path: Path, seconds: float) -> Iterator[AudioFrame]:
    """Decode ``path`` (looping it if short) until ``seconds`` of audio have been produced."""
    produced = 0
    while True:
        started = produced
        for frame in _decoded(path):
            frame.pts += produced - started
            produced += frame.samples
            yield frame
            if produced / frame.sample_rate >= seconds:
                return
        if produced == started:
            raise ValueError(f"The music file {path.name!r} holds no audio")


def _resampled(frames: Iterable[AudioFrame], layout: str, samples: int) -> Audio:
    """``frames`` as float ``(channels, samples)`` at 48 kHz, cut or padded with silence to ``samples``."""
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    chunks: list[Audio] = []
    for frame in [*frames, None]:
        chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
    channels = 1 if layout == "mono" else 2
    audio = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), dtype=np.float32)
    audio = audio[:, :samples]
    return np.pad(audio, ((0, 0), (0, samples - audio.shape[1]))).astype(np.float32)


def speaking(blocks: npt.NDArray[np.float64], level: float, length: int) -> npt.NDArray[np.bool_]:
    """Per millisecond, whether the voice speaks: its 400 ms blocks within 20 LU of its level, plus a hangover."""
    active = np.repeat(blocks > level - 20.0, 100)  # blocks start every 100 ms
    # a block that starts at t covers t to t + 0.4 s: look back over it, and both ways by the hangover
    back = round((0.4 + SPEAKING_HANGOVER) * 1000)
    ahead = round(SPEAKING_HANGOVER * 1000)
    padded = np.concatenate([np.zeros(back, dtype=bool), active, np.zeros(ahead, dtype=bool)])
    counts = np.concatenate([[0], np.cumsum(padded)])
    covered = counts[back + ahead + 1 :] - counts[: -(back + ahead + 1)] > 0
    return np.pad(covered, (0, max(0, length - covered.size)))[:length]


def _music_gain(voice: Audio, music_level: float, duration: float) -> npt.NDArray[np.float32]:
    """The music's gain per sample: ducked while the voice speaks, raised in pauses, faded at the end.

    Worked out per millisecond (the ramps last a quarter of a second), then held for the millisecond's samples.
    """
    blocks = block_loudness(voice)
    voice_level = gated_loudness(blocks)
    if not math.isfinite(voice_level):  # nothing said: the music alone, at the pause level
        voice_level = music_level + MUSIC_PAUSE_GAP_LU
    while_speaking = 10 ** ((voice_level - MUSIC_GAP_LU - music_level) / 20)
    in_pauses = 10 ** ((voice_level - MUSIC_PAUSE_GAP_LU - music_level) / 20)
    per_ms = SAMPLE_RATE // 1000
    millis = -(-voice.shape[1] // per_ms)
    gain = np.where(speaking(blocks, voice_level, millis), while_speaking, in_pauses)
    ramp = max(1, round(DUCK_RAMP * 1000 / 2))
    # a moving minimum before the average keeps the music fully ducked over every spoken millisecond
    lowered = np.lib.stride_tricks.sliding_window_view(np.pad(gain, ramp, mode="edge"), 2 * ramp + 1).min(
        axis=1
    )
    sums = np.concatenate([[0.0], np.cumsum(np.pad(lowered, ramp, mode="edge"))])
    smooth = (sums[2 * ramp + 1 :] - sums[: -2 * ramp - 1]) / (2 * ramp + 1)
    fade = np.clip((duration - np.arange(millis) / 1000) / MUSIC_FADE_OUT, 0.0, 1.0)
    return np.repeat((smooth * fade).astype(np.float32), per_ms)[: voice.shape[1]]


def soundtrack(voice: Path, duration: float, music: Path | None) -> Audio:
    """The finished soundtrack, ``(channels, samples)`` at 48 kHz: mono, or stereo with music."""
    samples = round(duration * SAMPLE_RATE)
    spoken = _resampled(_decoded(voice), "mono", samples)
    if music is None:
        return normalised(spoken)
    spoken = np.repeat(spoken, 2, axis=0)  # the voice in the middle: as loud in both speakers
    track = _resampled(_music_frames(music, duration + 0.5), "stereo", samples)
    music_level = integrated_loudness(track)
    if not math.isfinite(music_level):
        return normalised(spoken)
    mix = spoken + track * _music_gain(spoken, music_level, duration)
    return normalised(mix.astype(np.float32))


def mixed_audio(voice: Path, duration: float, music: Path | None) -> Iterator[AudioFrame]:
    """Yield the final soundtrack as float frames at 48 kHz (mono, or stereo with music)."""
    audio = soundtrack(voice, duration, music)
    layout = "mono" if audio.shape[0] == 1 else "stereo"
    for start in range(0, audio.shape[1], FRAME_SAMPLES):
        frame = AudioFrame.from_ndarray(
            np.ascontiguousarray(audio[:, start : start + FRAME_SAMPLES]), format="fltp", layout=layout
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        yield frame
