"""What YouTube accepts: the Shorts shape and length, file size and formats, and the metadata limits.

:func:`check` refuses a video before any upload, with
:class:`~oasis_core.errors.InvalidInput` naming the limit and what the video
has. The ``clean_*`` functions turn a request's words into what the API
accepts (cut to length, angle brackets replaced), so a long title never
costs a failed upload.

Sources: the Data API's discovery document (``maxSize`` 256 GB, ``video/*``
accepted; titles of at most 100 characters, descriptions of at most 5000
bytes, neither with ``<`` or ``>``; tags at most 500 characters in all) and
YouTube's Shorts rules (vertical or square, at most 3 minutes).
"""

from __future__ import annotations

from pathlib import Path

import av

from oasis_core.domain.publishing import PublishRequest
from oasis_core.errors import InvalidInput

MAX_SHORT_SECONDS = 180.0
"""A Short lasts at most three minutes; a longer upload becomes an ordinary video."""
MAX_FILE_BYTES = 256 * 1024**3
"""The Data API's ``maxSize`` for ``videos.insert`` (256 GB)."""
MAX_TITLE_CHARS = 100
MAX_DESCRIPTION_BYTES = 5000
MAX_TAGS_CHARS = 500
PRIVACY_STATUSES = ("public", "unlisted", "private")

CONTAINERS = frozenset({"mov", "mp4", "3gp", "matroska", "webm", "avi", "flv", "mpeg", "mpegts", "asf"})
"""Demuxer names (as PyAV reports them) of the containers YouTube takes."""
VIDEO_CODECS = frozenset(
    {
        "h264",
        "hevc",
        "vp8",
        "vp9",
        "av1",
        "mpeg4",
        "mpeg2video",
        "mpeg1video",
        "prores",
        "dnxhd",
        "cfhd",
        "wmv3",
        "vc1",
        "flv1",
    }
)
"""Video codecs YouTube transcodes (H.264 is what it recommends)."""

_MIMETYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


def mimetype_for(path: Path) -> str:
    """The content type to upload ``path`` with (``application/octet-stream`` is accepted too)."""
    return _MIMETYPES.get(path.suffix.lower(), "application/octet-stream")


def _no_angle_brackets(text: str) -> str:
    return text.replace("<", "‹").replace(">", "›")


def clean_title(title: str) -> str:
    """The title YouTube accepts: one line, no ``<``/``>``, at most 100 characters (cut at a word)."""
    text = _no_angle_brackets(" ".join(title.split()))
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text[: MAX_TITLE_CHARS - 1]
    if " " in cut[MAX_TITLE_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def clean_description(description: str) -> str:
    """The description YouTube accepts: no ``<``/``>``, at most 5000 bytes of UTF-8 (never half a character)."""
    text = _no_angle_brackets(description.strip())
    data = text.encode()
    if len(data) <= MAX_DESCRIPTION_BYTES:
        return text
    return data[:MAX_DESCRIPTION_BYTES].decode(errors="ignore").rstrip()


def tag_cost(tag: str, *, first: bool) -> int:
    """What ``tag`` counts towards the 500 characters: a tag with a space counts as quoted (two more),
    and every tag but the first adds the comma before it."""
    return len(tag) + (2 if " " in tag else 0) + (0 if first else 1)


def tags_length(tags: list[str] | tuple[str, ...]) -> int:
    """The length YouTube counts for ``tags`` in all."""
    return sum(tag_cost(tag, first=index == 0) for index, tag in enumerate(tags))


def clean_tags(tags: tuple[str, ...] | list[str]) -> list[str]:
    """The tags YouTube accepts: no ``<``/``>``/commas, no duplicates, at most 500 characters in all.

    YouTube counts a tag with a space as if quoted (two more characters) and
    the commas between tags; tags past the limit are left out.
    """
    kept: list[str] = []
    seen: set[str] = set()
    total = 0
    for raw in tags:
        tag = " ".join(raw.replace("<", " ").replace(">", " ").replace(",", " ").split()).lstrip("#")
        if not tag or tag.lower() in seen:
            continue
        cost = tag_cost(tag, first=not kept)
        if total + cost > MAX_TAGS_CHARS:
            break
        kept.append(tag)
        seen.add(tag.lower())
        total += cost
    return kept


def check(request: PublishRequest) -> None:
    """Refuse a video YouTube would not take as a Short, before any upload (:class:`InvalidInput`)."""
    if not clean_title(request.title).strip():
        raise InvalidInput("A YouTube video needs a title: the title is empty", field="title")
    if request.privacy not in PRIVACY_STATUSES:
        raise InvalidInput(
            f"YouTube has no privacy setting {request.privacy!r}", field="privacy", choices=PRIVACY_STATUSES
        )
    path = Path(request.video_path)
    if not path.is_file():
        raise InvalidInput(f"The video file {path} does not exist", field="video_path")
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(f"The video file {path.name} is empty", field="video_path")
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"YouTube takes files of at most 256 GB; {path.name} has {size / 1024**3:.1f} GB",
            field="video_path",
        )
    try:
        with av.open(str(path)) as container:
            formats = set(container.format.name.split(","))
            if not formats & CONTAINERS:
                raise InvalidInput(
                    f"YouTube does not take {container.format.long_name or container.format.name} files; "
                    "render an MP4 (H.264 + AAC)",
                    field="video_path",
                )
            if not container.streams.video:
                raise InvalidInput(f"{path.name} has no video stream", field="video_path")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in VIDEO_CODECS:
                raise InvalidInput(
                    f"YouTube does not take {codec} video; render H.264 (or HEVC, VP9, AV1)",
                    field="video_path",
                )
            width, height = stream.codec_context.width, stream.codec_context.height
            rotation = 0
            for frame in container.decode(stream):
                width, height = frame.width, frame.height
                rotation = int(getattr(frame, "rotation", 0) or 0)
                break
            seconds = _duration(container, stream)
    except av.FFmpegError as exc:
        raise InvalidInput(
            f"{path.name} is not a video file YouTube can read: {exc}", field="video_path"
        ) from exc
    if rotation % 180:
        width, height = height, width
    if width > height:
        raise InvalidInput(
            f"A YouTube Short is vertical or square: {path.name} is landscape ({width}×{height}); "
            "render it at 9:16 (1080×1920)",
            field="video_path",
        )
    if seconds > MAX_SHORT_SECONDS:
        raise InvalidInput(
            f"A YouTube Short lasts at most 3 minutes: {path.name} lasts {seconds:.1f} s", field="video_path"
        )


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
