"""Reading finished videos back: streams, boxes, pixels and loudness."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import av.filter
import numpy as np
from attrs import frozen


@frozen
class Probe:
    """What a decoder sees in an MP4."""

    video_codec: str
    audio_codec: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    frames: int
    video_seconds: float
    audio_seconds: float
    audio_rms: float


def top_level_boxes(path: Path) -> list[str]:
    """The names of an MP4's top-level boxes, in file order."""
    names = []
    with path.open("rb") as stream:
        while header := stream.read(8):
            size, name = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", stream.read(8))[0] - 8
            names.append(name.decode("latin-1"))
            stream.seek(size - 8, 1)
    return names


def probe(path: Path) -> Probe:
    """Decode every frame and sample of ``path`` and describe it."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        codec, pix_fmt = video.codec_context.name, video.codec_context.pix_fmt or ""
        width, height, fps = video.width, video.height, float(video.average_rate)
        frames = sum(1 for _ in container.decode(video))
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        audio_codec, rate = audio.codec_context.name, audio.rate
        samples = [frame.to_ndarray() for frame in container.decode(audio)]
    pcm = np.concatenate([s.reshape(-1) for s in samples]) if samples else np.zeros(1)
    return Probe(
        codec,
        audio_codec,
        width,
        height,
        fps,
        pix_fmt,
        frames,
        frames / fps,
        float(sum(s.shape[-1] for s in samples) / rate),
        float(np.sqrt(np.mean(np.square(pcm.astype(np.float64))))),
    )


def frames_rgb(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    """The RGB pixels of the frames at ``indices``."""
    wanted: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in indices:
                wanted[index] = frame.to_ndarray(format="rgb24")
            if len(wanted) == len(indices):
                break
    return wanted


def yellow_centroid(frame: np.ndarray) -> tuple[float, float] | None:
    """Where the highlighted (yellow) caption word is, as mean x and y, or ``None`` when there is none."""
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    mask = (r > 200) & (g > 160) & (b < 130)
    if mask.sum() < 50:
        return None
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


@frozen
class Loudness:
    """What FFmpeg's EBU R128 meter reads: integrated loudness (LUFS) and true peak (dBTP)."""

    integrated: float
    true_peak: float


def decoded_audio(path: Path) -> tuple[np.ndarray, int]:
    """The audio of ``path`` as float ``(channels, samples)`` and its sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        to_float = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=rate)
        chunks = [
            out.to_ndarray()
            for frame in [*container.decode(stream), None]
            for out in to_float.resample(frame)
        ]
    return np.concatenate(chunks, axis=1), rate


def measured_loudness(samples: np.ndarray, rate: int) -> Loudness:
    """Run ``samples`` (float, ``(channels, n)``, mono or stereo) through FFmpeg's ``ebur128`` filter."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    graph = av.filter.Graph()
    source = graph.add_abuffer(sample_rate=rate, format="fltp", layout=layout, time_base=Fraction(1, rate))
    meter = graph.add("ebur128", "metadata=1:peak=true")
    sink = graph.add("abuffersink")
    source.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    for start in range(0, samples.shape[1], 1024):
        chunk = np.ascontiguousarray(samples[:, start : start + 1024], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        source.push(frame)
    source.push(None)
    integrated, peak = float("-inf"), 0.0
    while True:
        try:
            frame = sink.pull()
        except (BlockingIOError, EOFError):
            break
        if "lavfi.r128.I" in frame.metadata:  # set on the frames that end a 100 ms step
            integrated = float(frame.metadata["lavfi.r128.I"])
            peak = max(peak, float(frame.metadata["lavfi.r128.true_peak"]))
    return Loudness(integrated, 20 * float(np.log10(peak)) if peak > 0 else float("-inf"))


def loudness(path: Path) -> Loudness:
    """The programme loudness and true peak of a finished video's soundtrack, as a platform measures it."""
    return measured_loudness(*decoded_audio(path))
