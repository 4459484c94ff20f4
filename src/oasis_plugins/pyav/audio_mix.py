"""The soundtrack: the voice padded to the video's length, with optional music ducked under it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.filter
from av.audio.frame import AudioFrame

SAMPLE_RATE = 48000
MUSIC_VOLUME = 0.35
"""Music level before ducking; the compressor pulls it further down while the voice speaks."""


def _decoded(path: Path) -> Iterator[AudioFrame]:
    """The file's audio frames, stamped in samples (time base 1/rate) from zero.

    Containers count time in their own units (MP3 in 1/14,112,000 s); the
    filter graph's sources are set up in samples, so every frame is stamped
    again here, whatever the container.
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


def mixed_audio(voice: Path, duration: float, music: Path | None) -> Iterator[AudioFrame]:
    """Yield the final soundtrack as float frames at 48 kHz (mono, or stereo with music)."""
    layout = "stereo" if music else "mono"
    graph = av.filter.Graph()
    with av.open(str(voice)) as probe:
        voice_stream = probe.streams.audio[0]
        voice_src = graph.add_abuffer(
            sample_rate=voice_stream.rate,
            format=voice_stream.format.name,
            layout=voice_stream.layout.name,
            time_base=Fraction(1, voice_stream.rate),
        )
    normalise = f"sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts={layout}"
    chain = [
        voice_src,
        graph.add("aresample", str(SAMPLE_RATE)),
        graph.add("aformat", normalise),
        graph.add("apad", f"whole_dur={duration:.4f}"),
        graph.add("atrim", f"end={duration:.4f}"),
    ]
    for upstream, downstream in itertools.pairwise(chain):
        upstream.link_to(downstream)
    sink = graph.add("abuffersink")
    music_src = None
    if music is None:
        chain[-1].link_to(sink)
    else:
        first = next(_decoded(music))
        music_src = graph.add_abuffer(
            sample_rate=first.sample_rate,
            format=first.format.name,
            layout=first.layout.name,
            time_base=Fraction(1, first.sample_rate),
        )
        split = graph.add("asplit", "2")
        chain[-1].link_to(split)
        music_chain = [
            music_src,
            graph.add("aresample", str(SAMPLE_RATE)),
            graph.add("aformat", normalise),
            graph.add("volume", f"{MUSIC_VOLUME}"),
            graph.add("afade", f"t=out:st={max(0.0, duration - 1.5):.3f}:d=1.5"),
        ]
        for upstream, downstream in itertools.pairwise(music_chain):
            upstream.link_to(downstream)
        duck = graph.add("sidechaincompress", "threshold=0.02:ratio=8:attack=15:release=400")
        music_chain[-1].link_to(duck, 0, 0)
        split.link_to(duck, 1, 1)
        mix = graph.add("amix", "inputs=2:duration=first:normalize=0")
        split.link_to(mix, 0, 0)
        duck.link_to(mix, 0, 1)
        trim = graph.add("atrim", f"end={duration:.4f}")
        mix.link_to(trim)
        trim.link_to(sink)
    graph.configure()

    for frame in _decoded(voice):
        voice_src.push(frame)
    voice_src.push(None)
    if music_src is not None and music is not None:
        for frame in _music_frames(music, duration + 0.5):
            music_src.push(frame)
        music_src.push(None)
    while True:
        try:
            yield sink.pull()
        except (BlockingIOError, EOFError):
            return
