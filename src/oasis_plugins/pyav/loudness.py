"""Programme loudness (ITU-R BS.1770-4) and a true-peak limiter, in numpy, for short soundtracks.

Every platform plays videos at about -14 LUFS: a quieter video sounds weak
next to the others, a louder one is turned down and, if it clips, distorts.
A soundtrack is short (seconds to a few minutes at 48 kHz), so it is held
in memory, measured, given one linear gain and limited; that is more
predictable than FFmpeg's one-pass ``loudnorm``, which resamples to 192 kHz
and can miss its target on clips of a few seconds.

Arrays are ``(channels, samples)`` float at 48 kHz.
"""

from __future__ import annotations

import functools
import itertools
import math
from fractions import Fraction

import av.filter
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame

Audio = npt.NDArray[np.float32]

RATE = 48000
TARGET_LUFS = -14.0
"""Integrated programme loudness the platforms normalise to."""
TRUE_PEAK_CEILING = -2.5
"""dBTP the limiter holds: 1.5 dB under the -1 dBTP rule, because AAC lifts a limited voice's peaks (up to 0.9 dB seen)."""
MAX_GAIN_DB = 45.0
"""The most a quiet voice is lifted: beyond this it is noise, not a voice."""
MAX_LIMITING_DB = 12.0
"""The most gain added to make up for the limiter: a voice squeezed harder than this loses its shape, so
it stays a little under the target instead (such voices measure about -14.7 LUFS)."""
SILENCE = -70.0
"""BS.1770's absolute gate: a programme quieter than this is treated as silence."""

# K-weighting at 48 kHz (BS.1770-4, table 1 and 2): a high shelf, then a high pass.
_SHELF = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
_HIGH_PASS = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
_BLOCK = 0.4
_STEP = 0.1
_OVERSAMPLE = 4
_CHUNK = 65536
_TAPS = 16
_KAISER_BETA = 6.0
_AHEAD, _HOLD = 4, 10
_ROUNDS = 8


def k_weighted(audio: Audio) -> npt.NDArray[np.float64]:
    """``audio`` through BS.1770's K filter (two biquads), run by FFmpeg's ``biquad`` filter in doubles.

    FFmpeg runs the recursive filter in C; in numpy it would be a Python
    loop per sample, and an FFT of a minute of audio costs more than both.
    """
    layout = "mono" if audio.shape[0] == 1 else "stereo"
    graph = av.filter.Graph()
    source = graph.add_abuffer(sample_rate=RATE, format="fltp", layout=layout, time_base=Fraction(1, RATE))
    chain = [source, graph.add("aformat", "sample_fmts=dblp")]
    for b, a in (_SHELF, _HIGH_PASS):
        chain.append(graph.add("biquad", f"a0={a[0]}:a1={a[1]}:a2={a[2]}:b0={b[0]}:b1={b[1]}:b2={b[2]}"))
    sink = graph.add("abuffersink")
    for upstream, downstream in itertools.pairwise([*chain, sink]):
        upstream.link_to(downstream)
    graph.configure()
    out: list[npt.NDArray[np.float64]] = []
    for start in [*range(0, audio.shape[1], _CHUNK), None]:
        if start is None:
            source.push(None)
        else:
            chunk = np.ascontiguousarray(audio[:, start : start + _CHUNK], dtype=np.float32)
            frame = AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            source.push(frame)
        while True:
            try:
                out.append(sink.pull().to_ndarray())
            except (BlockingIOError, EOFError):
                break
    return np.concatenate(out, axis=1) if out else np.zeros(audio.shape)


def block_loudness(audio: Audio, weighted: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
    """Loudness (LUFS) of each 400 ms block, stepped by 100 ms, as BS.1770 gates them.

    ``weighted`` is ``audio`` already through :func:`k_weighted`, when the caller has it.
    """
    if weighted is None:
        weighted = k_weighted(audio)
    block, step = round(_BLOCK * RATE), round(_STEP * RATE)
    if weighted.shape[-1] < block:  # shorter than one block: measure what there is
        weighted = np.pad(weighted, ((0, 0), (0, block - weighted.shape[-1])))
    squares = np.cumsum(np.square(weighted).sum(axis=0))
    squares = np.concatenate([[0.0], squares])
    starts = np.arange(0, weighted.shape[-1] - block + 1, step)
    power = (squares[starts + block] - squares[starts]) / block
    return np.asarray(-0.691 + 10 * np.log10(np.maximum(power, 1e-20)))


def gated_loudness(blocks: npt.NDArray[np.float64]) -> float:
    """Integrated loudness from :func:`block_loudness`: absolute gate at -70, relative gate 10 LU down."""
    loud = blocks[blocks > SILENCE]
    if loud.size == 0:
        return -math.inf
    relative = _mean_loudness(loud) - 10.0
    gated = loud[loud > relative]
    return _mean_loudness(gated if gated.size else loud)


def integrated_loudness(audio: Audio) -> float:
    """Gated integrated loudness in LUFS (-inf for silence)."""
    return gated_loudness(block_loudness(audio))


def _mean_loudness(blocks: npt.NDArray[np.float64]) -> float:
    return float(-0.691 + 10 * np.log10(np.mean(10 ** ((blocks + 0.691) / 10))))


@functools.cache
def _interpolators() -> npt.NDArray[np.float64]:
    """Windowed-sinc kernels giving the samples a quarter, a half and three quarters between two samples."""
    offsets = np.arange(_TAPS) - _TAPS // 2 + 1  # -7 … 8: the neighbours on either side
    kernels = []
    for phase in range(1, _OVERSAMPLE):
        distance = phase / _OVERSAMPLE - offsets
        kaiser = np.i0(_KAISER_BETA * np.sqrt(np.clip(1 - (2 * distance / _TAPS) ** 2, 0, None)))
        kernels.append(np.sinc(distance) * kaiser / np.i0(_KAISER_BETA))
    return np.array(kernels)


def block_peaks(audio: Audio, block: int, floor: float = 0.0) -> npt.NDArray[np.float64]:
    """The true (4x oversampled) peak of each ``block`` samples, over all channels.

    Between two samples a band-limited signal rises at most a few dB above
    them, so only blocks whose sample peak reaches ``floor`` are
    interpolated; the others report their sample peak.
    """
    length = audio.shape[-1]
    blocks = -(-length // block)
    padded = np.pad(np.abs(audio), ((0, 0), (0, blocks * block - length)))
    peaks = padded.reshape(audio.shape[0], blocks, block).max(axis=(0, 2)).astype(np.float64)
    candidates = np.nonzero(peaks >= floor)[0]
    if candidates.size == 0:
        return peaks
    lead = _TAPS // 2 - 1
    context = np.pad(audio.astype(np.float32), ((0, 0), (lead + 1, block + _TAPS)))
    index = candidates[:, None] * block + np.arange(block + _TAPS - 1)[None, :] + 1
    for channel in context:
        windows = np.lib.stride_tricks.sliding_window_view(channel[index], _TAPS, axis=1)[:, :block]
        between = np.abs(windows @ _interpolators().T.astype(np.float32)).max(axis=(1, 2))
        peaks[candidates] = np.maximum(peaks[candidates], between)
    return peaks


def true_peak(audio: Audio) -> float:
    """The highest inter-sample peak in dBTP (-inf for silence)."""
    if audio.size == 0:
        return -math.inf
    sample_peak = float(np.abs(audio).max())
    peak = float(block_peaks(audio, RATE // 100, sample_peak / 2).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def limiter_gain(
    peaks: npt.NDArray[np.float64], ceiling: float, length: int
) -> npt.NDArray[np.float32] | None:
    """Per sample, the gain that holds 1 ms blocks with true ``peaks`` under ``ceiling`` (``None``: no need).

    The gain each block needs is held for 10 ms and looked ahead 4 ms (a
    minimum over that window), then averaged over 7 ms and drawn as a
    straight line from each block's start to the next; every value averaged
    is at most the gain the block and its neighbours need, so the smoothed gain never lets a peak
    through, and it never jumps (a jump would click).
    """
    if peaks.max(initial=0.0) <= ceiling:
        return None
    block = RATE // 1000
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    ahead, hold = _AHEAD, _HOLD
    padded = np.pad(needed, (hold, ahead), constant_values=1.0)
    held = np.lib.stride_tricks.sliding_window_view(padded, hold + ahead + 1).min(axis=1)
    width = 2 * (ahead - 1) + 1
    smooth = np.convolve(np.pad(held, ahead - 1, mode="edge"), np.full(width, 1 / width), mode="valid")
    # a straight line from each block's gain to the next one's, across the block
    following = np.append(smooth[1:], smooth[-1])
    ramp = np.arange(block, dtype=np.float32) / block
    gain = smooth[:, None].astype(np.float32) + (following - smooth)[:, None].astype(np.float32) * ramp
    return gain.reshape(-1)[:length]


def normalised(audio: Audio, target: float = TARGET_LUFS, ceiling_db: float = TRUE_PEAK_CEILING) -> Audio:
    """``audio`` at ``target`` LUFS integrated with true peaks under ``ceiling_db``.

    One linear gain, then the limiter. The limiter takes a little loudness
    off a peaky voice, so the gain is raised by what it took and the
    limiter run again (at most five rounds, usually two or three; a fifth
    of an LU is close enough). Loudness and peaks are measured once: gain scales peaks
    exactly, and the K-weighted signal times the (slow) limiter gain is the
    limited signal's K-weighted signal, to well under a tenth of an LU.
    Silence stays silence; a whisper is lifted at most :data:`MAX_GAIN_DB`.
    """
    weighted = k_weighted(audio)
    level = gated_loudness(block_loudness(audio, weighted))
    if not math.isfinite(level):
        return audio
    ceiling = 10 ** (ceiling_db / 20)
    change = min(target - level, MAX_GAIN_DB)
    most = min(change + MAX_LIMITING_DB, MAX_GAIN_DB)
    # a block this far under the ceiling cannot reach it even at the most gain: no need to interpolate it
    peaks = block_peaks(audio, RATE // 1000, ceiling * 10 ** (-(MAX_GAIN_DB + 6) / 20))
    best: tuple[float, float, npt.NDArray[np.float32] | None] | None = None  # (miss, change, curve)
    tried: tuple[float, float] | None = None
    for _ in range(_ROUNDS):
        gain = 10 ** (change / 20)
        curve = limiter_gain(peaks * gain, ceiling, audio.shape[-1])
        if curve is None:  # nothing to limit: the gain alone lands on the target
            best = (0.0, change, None)
            break
        reached = gated_loudness(block_loudness(audio, weighted * (gain * curve)))
        if best is None or abs(reached - target) < best[0]:
            best = (abs(reached - target), change, curve)
        if abs(reached - target) < 0.2 or change >= most:
            break
        # the harder it limits, the less a dB of gain adds: step by the slope seen so far (secant)
        slope = 1.0 if tried is None else (reached - tried[1]) / (change - tried[0] or 1e-9)
        tried = (change, reached)
        change = min(change + (target - reached) / min(1.0, max(slope, 0.1)), most)
    assert best is not None
    _, change, curve = best  # the gain and limiter that were measured together, never a later guess
    scale = np.float32(10 ** (change / 20))
    return (audio * scale if curve is None else audio * (scale * curve)).astype(np.float32)
