"""An Instagram reel's options: its caption, whether it also goes to the feed, and the cover frame.

Options (all optional): ``caption`` (at most 2,200 characters and 30
hashtags: Instagram's caption limits, error ``2207010`` "caption too long",
``platforms.md`` §B3), ``share_to_feed`` (true/false: the reel also shows in
the profile's feed grid; Instagram's ``share_to_feed``) and ``cover_time``
(seconds into the video of the frame used as its cover: it must lie within
the video, as Instagram's ``thumb_offset`` must, error ``2207057``). Without
a ``caption`` the reel's caption is made from the title, the post's caption
and the tags as hashtags, and that must fit the same limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oasis_core.domain.post_options import OptionReader, count_hashtags
from oasis_core.domain.publishing import PostingRules, PublishRequest
from oasis_core.errors import InvalidInput

MAX_CAPTION = 2200
"""Instagram's caption limit, in characters."""

MAX_HASHTAGS = 30
"""Instagram refuses a caption with more hashtags than this."""

OPTIONS = ("caption", "share_to_feed", "cover_time")
"""The option names an Instagram post takes."""


def caption_problem(caption: str) -> str | None:
    """Why Instagram would refuse ``caption`` (too long, too many hashtags), or ``None``."""
    if len(caption) > MAX_CAPTION:
        return f"Instagram captions hold at most {MAX_CAPTION} characters; this one has {len(caption)}"
    tags = count_hashtags(caption)
    if tags > MAX_HASHTAGS:
        return f"Instagram captions hold at most {MAX_HASHTAGS} hashtags; this one has {tags}"
    return None


def check(
    options: Mapping[str, Any],
    rules: PostingRules,
    request: PublishRequest,
    duration: float | None = None,
    *,
    built_caption: str = "",
) -> dict[str, Any]:
    """The options to store, or :class:`InvalidInput` naming the one Instagram would refuse.

    ``built_caption`` is the caption made from ``request`` when no ``caption`` is given.
    """
    read = OptionReader(options, OPTIONS, platform="Instagram")
    checked: dict[str, Any] = {}
    caption = read.text("caption")
    problem = caption_problem(caption if caption is not None else built_caption)
    if problem:
        field = "caption" if caption is not None else "content"
        raise InvalidInput(problem, field=field)
    if caption is not None:
        checked["caption"] = caption
    share = read.flag("share_to_feed")
    if share is not None:
        checked["share_to_feed"] = share
    cover = read.number("cover_time", minimum=0.0, maximum=duration)
    if cover is not None:
        checked["cover_time"] = cover
    return checked


def cover_time(request: PublishRequest, duration: float) -> float:
    """The moment of the cover frame: the option if it lies within the video, else one second in."""
    chosen = request.options.get("cover_time")
    if isinstance(chosen, int | float) and 0 <= chosen <= duration:
        return float(chosen)
    return min(1.0, duration / 2)
