"""The ``pyav`` compositor: stills, speech and captions → H.264/AAC MP4 with fast start."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import av
import numpy as np
from PIL import Image, ImageOps

from oasis_core.domain.caption_style import CaptionStyle
from oasis_core.domain.media import Aspect, RenderedVideo
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.compositor import Composition, ProgressCallback
from oasis_core.ports.provider import ProviderConfig
from oasis_core.services.captions import caption_geometry
from oasis_plugins.pyav.audio_mix import SAMPLE_RATE, mixed_audio
from oasis_plugins.pyav.caption_painter import CaptionPainter
from oasis_plugins.pyav.caption_preview import preview_png
from oasis_plugins.pyav.font_names import find_font, wheel_font_names
from oasis_plugins.pyav.motion import plan_clips, source_size
from oasis_plugins.pyav.title_cards import TitleCards, script_of, with_end_card
from oasis_plugins.pyav.video_graph import VideoGraph

log = logging.getLogger(__name__)

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


class PyAVCompositor:
    """Encodes with the FFmpeg libraries bundled in PyAV's wheel: no system FFmpeg needed.

    Settings: ``preset`` (x264 preset, default ``veryfast``), ``crf`` (quality,
    default ``23``; lower is better and larger), ``font`` (a font file or folder tried first for
    captions) and ``fonts`` (``OASIS_CAPTION_FONTS``: more font files or folders, separated by
    ``os.pathsep``); see :mod:`oasis_plugins.pyav.fonts` for how each phrase gets a font.
    """

    id: ClassVar[str] = "pyav"
    name: ClassVar[str] = "PyAV (FFmpeg) compositor"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    settings_env: ClassVar[dict[str, str]] = {"fonts": "OASIS_CAPTION_FONTS"}

    def __init__(self, config: ProviderConfig) -> None:
        self.preset = config.setting("preset", "veryfast") or "veryfast"
        if self.preset not in PRESETS:
            raise InvalidInput(f"Unknown x264 preset {self.preset!r}", field="preset", choices=PRESETS)
        crf = config.setting("crf", "23") or "23"
        if not crf.isdigit() or not 0 <= int(crf) <= 51:
            raise InvalidInput("The crf setting must be a whole number from 0 to 51", field="crf")
        self.crf = int(crf)
        self.font_path = config.setting("font")
        self.fonts = config.setting("fonts")

    def caption_fonts(self) -> tuple[str, ...]:
        """The fonts installed in Python packages that a caption style may name (see ``font_names``)."""
        return wheel_font_names()

    def check_caption_style(self, style: CaptionStyle) -> None:
        """Raise :class:`InvalidInput` (``captions.font``) if the style's font cannot be found."""
        if style.font:
            find_font(style.font)

    def caption_preview(self, style: CaptionStyle, aspect: Aspect, text: str) -> bytes:
        """A PNG of ``text``'s first phrase in ``style`` over a neutral background (see ``caption_preview``)."""
        return preview_png(style, aspect, text, font_path=self.font_path, fonts=self.fonts)

    def compose(self, composition: Composition, on_progress: ProgressCallback | None = None) -> RenderedVideo:
        """Encode ``composition``; on any failure remove the partial output and raise ProviderError."""
        try:
            return self._compose(composition, on_progress or (lambda fraction: None))
        except Exception as exc:
            composition.output_path.unlink(missing_ok=True)
            composition.thumbnail_path.unlink(missing_ok=True)
            if isinstance(exc, ProviderError):
                raise
            log.exception("Composition failed")
            raise ProviderError(f"The video could not be encoded: {exc}", provider=self.id) from exc

    def _compose(self, composition: Composition, report: ProgressCallback) -> RenderedVideo:
        aspect, fps = composition.aspect, composition.fps
        width, height = aspect.width, aspect.height
        for scene in composition.visuals.scenes:
            if not scene.image_path.is_file():
                raise ProviderError(f"The image {scene.image_path.name!r} is missing", provider=self.id)
        total_frames = max(1, round(composition.duration * fps))
        clips, fade = plan_clips(composition.visuals.scenes, composition.duration, fps)
        source = source_size(width, height)
        style = composition.caption_style
        painter = CaptionPainter(
            caption_geometry(aspect, style),
            self.font_path,
            fonts=self.fonts,
            language=composition.language,
            style=style,
        )
        strip_height, caption_cues = painter.cues(composition.captions, composition.duration)
        cards = TitleCards(aspect, self.font_path, self.fonts, composition.language, style)
        end_card = cards.end_card(composition.end_card) if composition.end_card else None
        if end_card is not None:
            strip_height = max(strip_height, end_card.height + end_card.height % 2)
        card_start = composition.end_card.start if composition.end_card else composition.duration
        cues = with_end_card(caption_cues, end_card, card_start, strip_height, composition.duration)
        strip_top = painter.strip_top(strip_height)
        cards.thumbnail(
            composition.visuals.scenes[0].image_path,
            composition.script or script_of(composition.captions),
            composition.end_card.text if composition.end_card else None,
            composition.thumbnail_path,
        )
        graph = VideoGraph(
            clips=clips,
            fade=fade,
            width=width,
            height=height,
            fps=fps,
            source=source,
            strip=(width, strip_height),
            strip_top=strip_top,
        )
        for src, scene in zip(graph.scene_sources, composition.visuals.scenes, strict=True):
            src.push(_still_frame(scene.image_path, source))
            src.push(None)

        with av.open(str(composition.output_path), mode="w", options={"movflags": "+faststart"}) as container:
            video = container.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.codec_context.time_base = Fraction(1, fps)
            video.codec_context.options = {"preset": self.preset, "crf": str(self.crf)}
            video.codec_context.thread_type = "AUTO"
            audio = container.add_stream("aac", rate=SAMPLE_RATE)
            audio.layout = "stereo" if composition.music_path else "mono"
            audio.bit_rate = 128_000 if composition.music_path else 96_000

            samples = 0
            for frame in mixed_audio(
                composition.speech.audio_path, composition.duration, composition.music_path
            ):
                samples += frame.samples
                container.mux(audio.encode(frame))
            if samples == 0:  # never hand out a silent video as if it were complete
                raise ProviderError(f"The voice file {composition.speech.audio_path.name!r} gave no audio")
            container.mux(audio.encode(None))

            written = 0
            blank = np.zeros((strip_height, width, 4), dtype=np.uint8)

            def encode_ready() -> None:
                nonlocal written
                for frame in graph.pull_ready():
                    if written >= total_frames:
                        return
                    frame.pts = written
                    frame.time_base = video.codec_context.time_base
                    container.mux(video.encode(frame))
                    written += 1
                    if written % 15 == 0:
                        report(written / total_frames)

            for cue in cues:
                pixels = blank if cue.image is None else np.asarray(cue.image)
                strip = av.VideoFrame.from_ndarray(pixels, format="rgba")
                strip.pts = round(cue.start * 1000)
                strip.time_base = Fraction(1, 1000)
                graph.caption_source.push(strip)
                encode_ready()
            graph.caption_source.push(None)
            encode_ready()
            if written < total_frames:
                raise ProviderError(
                    f"Only {written} of {total_frames} frames were produced", provider=self.id
                )
            container.mux(video.encode(None))
        report(1.0)
        return RenderedVideo(
            composition.output_path,
            composition.thumbnail_path,
            total_frames / fps,
            width,
            height,
            composition.output_path.stat().st_size,
        )


def _still_frame(path: Path, size: tuple[int, int]) -> av.VideoFrame:
    """Load a still, crop it to cover ``size`` exactly, and convert it to yuv420p once."""
    with Image.open(path) as image:
        fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    frame = av.VideoFrame.from_image(fitted).reformat(format="yuv420p")
    frame.pts = 0
    frame.time_base = Fraction(1, 30)
    return frame
