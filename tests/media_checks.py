"""Reading finished videos back: streams, boxes, pixels and loudness."""

from __future__ import annotations

import struct
from pathlib import Path

import av
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
