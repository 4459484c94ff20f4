"""A YouTube post's options: what a user may set for ``videos.insert``, checked before anything is queued.

Options (all optional): ``title`` (at most 100 characters, no ``<``/``>``),
``description`` (at most 5000 bytes of UTF-8, no ``<``/``>``), ``tags`` (at
most 500 characters in all, counted as YouTube counts them: see
:func:`~oasis_plugins.youtube.limits.tags_length`), ``category_id`` (a
numeric id, ``"22"`` is People & Blogs), ``privacy`` (``public``,
``unlisted`` or ``private``), ``made_for_kids``, ``notify_subscribers`` and
``synthetic_media`` (true/false). Limits from the Data API's discovery
document and the ``invalidTitle``/``invalidDescription``/``invalidTags``
errors (``platforms.md`` §B1). What a user sets is checked strictly (a
``400``); what Oasis derives from the video is cleaned to fit instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import evolve

from oasis_core.domain.post_options import OptionReader
from oasis_core.domain.publishing import PostingRules, PublishRequest, SocialAccount
from oasis_core.errors import InvalidInput
from oasis_plugins.youtube import limits

OPTIONS = (
    "title",
    "description",
    "tags",
    "category_id",
    "privacy",
    "made_for_kids",
    "notify_subscribers",
    "synthetic_media",
)
"""The option names a YouTube post takes."""

CATEGORY_ID = re.compile(r"[0-9]{1,4}")
ANGLES = "<>"


def posting_rules(account: SocialAccount) -> PostingRules:
    """YouTube's fixed choices: three privacy statuses, Shorts of up to 3 minutes, the text limits."""
    return PostingRules(
        platform="youtube",
        username=account.username,
        nickname=account.username,
        privacy_options=limits.PRIVACY_STATUSES,
        max_duration_seconds=limits.MAX_SHORT_SECONDS,
        limits={
            "title_chars": limits.MAX_TITLE_CHARS,
            "description_bytes": limits.MAX_DESCRIPTION_BYTES,
            "tags_chars": limits.MAX_TAGS_CHARS,
        },
    )


def check(
    options: Mapping[str, Any], rules: PostingRules, request: PublishRequest, duration: float | None = None
) -> dict[str, Any]:
    """The options to store, or :class:`InvalidInput` naming the one YouTube would refuse."""
    read = OptionReader(options, OPTIONS, platform="YouTube")
    checked: dict[str, Any] = {}
    title = read.text("title", max_chars=limits.MAX_TITLE_CHARS, forbidden=ANGLES)
    if title is not None:
        if not title.strip():
            raise InvalidInput("A YouTube title cannot be empty", field="title")
        checked["title"] = title.strip()
    description = read.text("description", max_bytes=limits.MAX_DESCRIPTION_BYTES, forbidden=ANGLES)
    if description is not None:
        checked["description"] = description
    elif len(request.description.strip().encode()) > limits.MAX_DESCRIPTION_BYTES:
        raise InvalidInput(
            f"A YouTube description holds at most {limits.MAX_DESCRIPTION_BYTES} bytes (UTF-8); the "
            f"caption has {len(request.description.strip().encode())}: shorten it or give a description",
            field="content",
        )
    tags = read.strings("tags", max_items=limits.MAX_TAGS_CHARS, forbidden=ANGLES + ",")
    if tags is not None:
        length = limits.tags_length(tags)
        if length > limits.MAX_TAGS_CHARS:
            raise InvalidInput(
                f"YouTube takes tags of at most {limits.MAX_TAGS_CHARS} characters in all (a tag with a "
                f"space counts two more, each comma one); these make {length}",
                field="tags",
            )
        checked["tags"] = tags
    category = options.get("category_id")
    if category is not None:
        if isinstance(category, int) and not isinstance(category, bool):
            category = str(category)
        if not isinstance(category, str) or not CATEGORY_ID.fullmatch(category):
            raise InvalidInput('A YouTube category_id is a number such as "22"', field="category_id")
        checked["category_id"] = category
    privacy = read.choice("privacy", rules.privacy_options or limits.PRIVACY_STATUSES)
    if privacy is not None:
        checked["privacy"] = privacy
    for name in ("made_for_kids", "notify_subscribers", "synthetic_media"):
        value = read.flag(name)
        if value is not None:
            checked[name] = value
    return checked


def resolve(request: PublishRequest, *, category_id: str, notify: bool) -> tuple[PublishRequest, str, bool]:
    """``request`` with its options applied to the words and flags, the category id and whether to notify."""
    chosen = request.options
    applied = evolve(
        request,
        title=chosen.get("title") or request.title,
        description=chosen.get("description", request.description),
        tags=tuple(chosen["tags"]) if "tags" in chosen else request.tags,
        privacy=chosen.get("privacy") or request.privacy,
        made_for_kids=bool(chosen.get("made_for_kids", request.made_for_kids)),
        synthetic_media=bool(chosen.get("synthetic_media", request.synthetic_media)),
    )
    return (
        applied,
        str(chosen.get("category_id") or category_id),
        bool(chosen.get("notify_subscribers", notify)),
    )
