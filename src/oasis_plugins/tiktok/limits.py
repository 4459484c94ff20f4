"""TikTok's limits on what can be posted, and the chunk plan of a FILE_UPLOAD.

Numbers come from TikTok's Content Posting API documentation (media transfer
guide, video restrictions) as summarised in ``platforms.md`` §B2:

* MP4, MOV or WebM; H.264, H.265, VP8 or VP9; 23–60 frames per second;
  360–4096 pixels per side; at most 4 GB; 3 s to 10 min (a creator may be
  allowed less: ``max_video_post_duration_sec`` of the creator info, checked
  at publish time).
* Captions (the post's ``title``) hold at most 2,200 characters.
* Chunks of 5 MB to 64 MB, uploaded in order; the last one may be bigger
  than ``chunk_size`` (up to 128 MB); ``total_chunk_count = floor(video_size
  / chunk_size)``; a file under 5 MB goes as one chunk, a file over 64 MB must
  be chunked; 1 to 1,000 chunks.

TikTok's pages do not say whether "MB" is 10⁶ or 2²⁰ bytes, so the chunk
bounds are the stricter reading of each: chunks of at least 5 MiB and at
most 64,000,000 bytes, a last chunk of at most 128,000,000 bytes.
"""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from oasis_core.domain.publishing import PublishRequest
from oasis_core.errors import InvalidInput

MIN_CHUNK_BYTES = 5 * 1024 * 1024
"""The smallest chunk of a multi-chunk upload (5 MB read as MiB, the stricter reading)."""

MAX_CHUNK_BYTES = 64_000_000
"""The largest ``chunk_size`` (64 MB read as decimal, the stricter reading); bigger files must be chunked."""

MAX_LAST_CHUNK_BYTES = 128_000_000
"""The largest last chunk, which carries the bytes left over after ``floor(video_size / chunk_size)`` chunks."""

MAX_CHUNK_COUNT = 1000
"""The most chunks one upload may have."""

DEFAULT_CHUNK_BYTES = 10 * 1024 * 1024
"""The chunk size used unless the ``chunk_size`` setting says otherwise (Postiz uses the same)."""

MAX_VIDEO_BYTES = 4 * 1024**3
"""The largest video TikTok takes through FILE_UPLOAD (4 GB)."""

MIN_DURATION_S = 3.0
MAX_DURATION_S = 600.0
MIN_FPS = 23.0
MAX_FPS = 60.0
MIN_SIDE_PX = 360
MAX_SIDE_PX = 4096
MAX_CAPTION_CHARS = 2200

VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9"})
"""The video codecs TikTok accepts, as FFmpeg names them."""

_CODEC_NAMES = {"h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9"}


@frozen
class Chunk:
    """One ``PUT`` of the upload: bytes ``first`` to ``last`` (inclusive) of a file of ``total`` bytes."""

    index: int
    first: int
    last: int
    total: int

    @property
    def size(self) -> int:
        """How many bytes the chunk carries."""
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` header of its ``PUT``."""
        return f"bytes {self.first}-{self.last}/{self.total}"


@frozen
class ChunkPlan:
    """The ``source_info`` numbers of a FILE_UPLOAD init and the chunks that follow it."""

    video_size: int
    chunk_size: int
    total_chunk_count: int

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """The chunks, in upload order; the last one takes whatever the others leave."""
        chunks = []
        for index in range(self.total_chunk_count):
            first = index * self.chunk_size
            last = self.video_size - 1 if index == self.total_chunk_count - 1 else first + self.chunk_size - 1
            chunks.append(Chunk(index, first, last, self.video_size))
        return tuple(chunks)

    def source_info(self) -> dict[str, object]:
        """The ``source_info`` object of ``POST /v2/post/publish/video/init/``."""
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def plan_chunks(video_size: int, chunk_size: int = DEFAULT_CHUNK_BYTES) -> ChunkPlan:
    """Split ``video_size`` bytes into chunks of about ``chunk_size`` that follow TikTok's rules.

    A file that fits (at most 64 MB and under two chunks) goes whole, with
    ``chunk_size`` equal to its size. A bigger one goes in
    ``floor(video_size / chunk_size)`` chunks, the last carrying the rest;
    a file over 64 MB but under two chunks is split in two halves instead,
    since it may not go whole.
    """
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise InvalidInput(
            f"The TikTok chunk size must be {MIN_CHUNK_BYTES} to {MAX_CHUNK_BYTES} bytes, not {chunk_size}",
            field="chunk_size",
        )
    if not 1 <= video_size <= MAX_VIDEO_BYTES:
        raise InvalidInput(
            f"TikTok takes videos of 1 byte to {_gigabytes(MAX_VIDEO_BYTES)}; this one has {video_size} bytes",
            field="video_path",
        )
    if video_size < 2 * chunk_size:
        if video_size <= MAX_CHUNK_BYTES:
            return ChunkPlan(video_size, video_size, 1)
        chunk_size = video_size // 2  # over 64 MB, under 128 MB: two chunks of 32–64 MB
    return ChunkPlan(video_size, chunk_size, video_size // chunk_size)


@frozen
class VideoFacts:
    """What PyAV reads of a video file: enough to hold it against TikTok's limits."""

    size: int
    duration: float
    width: int
    height: int
    fps: float
    codec: str
    container: str

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of its upload."""
        if "webm" in self.container:
            return "video/webm"
        return "video/quicktime" if self.container == "mov" else "video/mp4"


def read_video(path: Path) -> VideoFacts:
    """Read the size, duration, frame size, frame rate, codec and container of ``path`` with PyAV.

    Raise :class:`InvalidInput` when the file is missing or PyAV cannot read a video stream from it.
    """
    import av  # imported here so that loading the plugin stays light

    if not path.is_file():
        raise InvalidInput(f"The video {path} does not exist", field="video_path")
    size = path.stat().st_size
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InvalidInput(f"{path.name} has no video stream", field="video_path")
            stream = container.streams.video[0]
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
            rate = stream.average_rate or stream.guessed_rate
            format_names = set(container.format.name.split(","))
            if "mp4" in format_names:
                kind = "mov" if path.suffix.lower() == ".mov" else "mp4"
            elif "webm" in format_names:
                kind = "webm"
            else:
                kind = container.format.name
            return VideoFacts(
                size=size,
                duration=duration,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                fps=float(rate) if rate else 0.0,
                codec=stream.codec_context.name,
                container=kind,
            )
    except av.FFmpegError as exc:
        raise InvalidInput(
            f"{path.name} is not a video file TikTok can read ({exc})", field="video_path"
        ) from None


def caption(request: PublishRequest) -> str:
    """The post's caption (TikTok's ``title``): the title, the description and the tags as hashtags."""
    hashtags = " ".join(f"#{tag.lstrip('#').replace(' ', '')}" for tag in request.tags if tag.strip("# "))
    return "\n\n".join(
        part for part in (request.title.strip(), request.description.strip(), hashtags) if part
    )


def check(request: PublishRequest) -> VideoFacts:
    """Refuse, with :class:`InvalidInput` naming the limit, a post TikTok would refuse; return the video's facts."""
    text = caption(request)
    if len(text) > MAX_CAPTION_CHARS:
        raise InvalidInput(
            f"TikTok captions hold at most {MAX_CAPTION_CHARS} characters; title, description and tags "
            f"make {len(text)}: shorten the description",
            field="description",
        )
    facts = read_video(request.video_path)
    name = request.video_path.name
    if facts.size > MAX_VIDEO_BYTES:
        raise _refuse(
            f"TikTok takes videos up to {_gigabytes(MAX_VIDEO_BYTES)}; {name} has {_gigabytes(facts.size)}"
        )
    if facts.container not in {"mp4", "mov", "webm"}:
        raise _refuse(f"TikTok takes MP4, MOV or WebM files; {name} is {facts.container}")
    if facts.codec not in VIDEO_CODECS:
        raise _refuse(
            f"TikTok takes H.264, H.265, VP8 or VP9 video; {name} is encoded with {facts.codec}: "
            "render it again as H.264"
        )
    if not MIN_DURATION_S <= facts.duration <= MAX_DURATION_S:
        raise _refuse(
            f"TikTok takes videos of {MIN_DURATION_S:g} s to {MAX_DURATION_S / 60:g} minutes; "
            f"{name} lasts {facts.duration:.1f} s"
        )
    if not MIN_FPS <= facts.fps <= MAX_FPS:
        raise _refuse(
            f"TikTok takes {MIN_FPS:g} to {MAX_FPS:g} frames per second; {name} has {facts.fps:.2f}"
        )
    if not (MIN_SIDE_PX <= facts.width <= MAX_SIDE_PX and MIN_SIDE_PX <= facts.height <= MAX_SIDE_PX):
        raise _refuse(
            f"TikTok takes frames of {MIN_SIDE_PX} to {MAX_SIDE_PX} pixels per side; "
            f"{name} is {facts.width}x{facts.height}"
        )
    return facts


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="video_path")


def _gigabytes(size: int) -> str:
    return f"{size / 1024**3:.2f} GB" if size >= 1024**3 else f"{size / 1024**2:.1f} MB"
