"""The FFmpeg filter graph that animates the stills and lays the captions over them.

Each still is pushed once: a ``loop`` filter repeats it, ``scale``/``crop``
move the camera, ``xfade`` joins scenes, and ``overlay`` lays the caption
strip over the picture; FFmpeg does the pixel work in C and in yuv420p, the
encoder's own format, so Python touches only a few caption images.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from fractions import Fraction

import av
import av.filter
from av.filter.context import FilterContext

from oasis_plugins.pyav.motion import Clip, scale_and_crop

CAPTION_TIME_BASE = Fraction(1, 1000)


class VideoGraph:
    """A configured graph: push stills and caption strips in, pull finished frames out."""

    def __init__(
        self,
        *,
        clips: tuple[Clip, ...],
        fade: float,
        width: int,
        height: int,
        fps: int,
        source: tuple[int, int],
        strip: tuple[int, int],
        strip_top: int,
    ) -> None:
        self.graph = av.filter.Graph()
        frame_tb = Fraction(1, fps)
        self.scene_sources: list[FilterContext] = []
        tails: list[FilterContext] = []
        for index, clip in enumerate(clips):
            src = self.graph.add_buffer(
                width=source[0], height=source[1], format="yuv420p", time_base=frame_tb, name=f"scene{index}"
            )
            scale_args, crop_args = scale_and_crop(clip, width, height, source[0])
            chain = [
                src,
                self.graph.add("loop", f"loop={clip.frames - 1}:size=1:start=0"),
                self.graph.add("setpts", "N"),
                self.graph.add("scale", scale_args),
                self.graph.add("crop", crop_args),
                self.graph.add("setsar", "1"),
                self.graph.add("fps", str(fps)),
            ]
            for upstream, downstream in itertools.pairwise(chain):
                upstream.link_to(downstream)
            self.scene_sources.append(src)
            tails.append(chain[-1])
        joined = tails[0]
        elapsed = clips[0].frames / fps
        for tail, clip in zip(tails[1:], clips[1:], strict=False):
            fade_filter = self.graph.add(
                "xfade", f"transition=fade:duration={fade}:offset={elapsed - fade:.4f}"
            )
            joined.link_to(fade_filter, 0, 0)
            tail.link_to(fade_filter, 0, 1)
            joined = fade_filter
            elapsed += clip.frames / fps - fade
        self.caption_source = self.graph.add_buffer(
            width=strip[0], height=strip[1], format="rgba", time_base=CAPTION_TIME_BASE, name="captions"
        )
        overlay = self.graph.add("overlay", f"x=0:y={strip_top}:format=yuv420:eof_action=pass:repeatlast=1")
        joined.link_to(overlay, 0, 0)
        self.caption_source.link_to(overlay, 0, 1)
        to_yuv = self.graph.add("format", "yuv420p")
        overlay.link_to(to_yuv)
        self.sink = self.graph.add("buffersink")
        to_yuv.link_to(self.sink)
        self.graph.configure()

    def pull_ready(self) -> Iterator[av.VideoFrame]:
        """Each frame the graph can give now, one at a time (so only one is held), until it needs input or ends."""
        while True:
            try:
                yield self.sink.pull()
            except (BlockingIOError, EOFError):
                return
