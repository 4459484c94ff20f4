"""A TikTok post's options, checked against the creator's info before anything is queued.

TikTok's Direct Post rules (developers.tiktok.com content-sharing-guidelines
and the Direct Post reference, summarised in ``integrations.md`` "TikTok
Direct Post" and ``platforms.md`` §B2):

* ``privacy_level`` is required and must be one of the creator's
  ``privacy_level_options`` as ``creator_info`` gives them now; there is no
  default (the audit requires that the user picks it). An app TikTok has not
  audited yet may post only ``SELF_ONLY``; the creator info of a private
  account offers no ``PUBLIC_TO_EVERYONE``.
* ``disable_comment``, ``disable_duet``, ``disable_stitch``: off unless the
  user turns them on, and forced on where the creator disabled that
  interaction in the app.
* ``is_aigc``: the AI-generated content label.
* ``brand_content_toggle`` (a paid partnership, "Branded content") and
  ``brand_organic_toggle`` (promoting the creator's own business, "Your
  brand"): off by default; branded content cannot be private.
* The caption (``post_info.title``) holds at most 2,200 characters, and the
  video may last at most the creator's ``max_video_post_duration_sec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oasis_core.domain.post_options import OptionReader
from oasis_core.domain.publishing import PostingRules, PublishRequest
from oasis_core.errors import InvalidInput
from oasis_plugins.tiktok import limits

PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
"""Every ``privacy_level`` TikTok knows; a creator's options are a subset."""

SWITCHES = {
    "disable_comment": "comment_disabled",
    "disable_duet": "duet_disabled",
    "disable_stitch": "stitch_disabled",
}
"""Each interaction option → the creator info flag that forces it on."""

OPTIONS = ("privacy_level", *SWITCHES, "is_aigc", "brand_content_toggle", "brand_organic_toggle")
"""The option names a TikTok post takes."""


def check(
    options: Mapping[str, Any], rules: PostingRules, request: PublishRequest, duration: float | None = None
) -> dict[str, Any]:
    """The options to store (switches the creator disabled forced on), or :class:`InvalidInput` naming one."""
    read = OptionReader(options, OPTIONS, platform="TikTok")
    allowed = rules.privacy_options or PRIVACY_LEVELS
    wanted = options.get("privacy_level")
    if isinstance(wanted, str) and wanted in PRIVACY_LEVELS and wanted not in allowed:
        private_only = allowed == ("SELF_ONLY",)
        raise InvalidInput(
            f"This TikTok account cannot post with privacy {wanted}"
            + (": the app is not audited by TikTok yet or the account is private" if private_only else ""),
            field="privacy_level",
            choices=allowed,
        )
    privacy = read.choice("privacy_level", allowed, required=True)
    checked: dict[str, Any] = {"privacy_level": privacy}
    for name, disabled in SWITCHES.items():
        checked[name] = bool(read.flag(name)) or bool(getattr(rules, disabled))
    checked["is_aigc"] = read.flag("is_aigc") if read.has("is_aigc") else request.synthetic_media
    checked["brand_content_toggle"] = bool(read.flag("brand_content_toggle"))
    checked["brand_organic_toggle"] = bool(read.flag("brand_organic_toggle"))
    if checked["brand_content_toggle"] and privacy == "SELF_ONLY":
        raise InvalidInput(
            "Branded content cannot be private on TikTok: choose another privacy or turn branded content off",
            field="brand_content_toggle",
        )
    caption = limits.caption(request)
    if len(caption) > limits.MAX_CAPTION_CHARS:
        raise InvalidInput(
            f"TikTok captions hold at most {limits.MAX_CAPTION_CHARS} characters; title, caption and "
            f"hashtags make {len(caption)}: shorten the caption",
            field="content",
        )
    if (
        duration is not None
        and rules.max_duration_seconds is not None
        and duration > rules.max_duration_seconds
    ):
        raise InvalidInput(
            f"This TikTok account may post videos of up to {rules.max_duration_seconds:g} s; "
            f"this one lasts {duration:g} s",
            field="video_id",
        )
    return checked


def post_info(request: PublishRequest, rules: PostingRules, privacy_level: str) -> dict[str, Any]:
    """``post_info`` of the video init: the caption, the privacy and the post's switches and labels.

    A switch the creator disabled since the post was scheduled is forced on
    again here; a post stored without options keeps TikTok's defaults.
    """
    chosen = request.options
    info: dict[str, Any] = {"title": limits.caption(request), "privacy_level": privacy_level}
    for name, disabled in SWITCHES.items():
        info[name] = bool(chosen.get(name)) or bool(getattr(rules, disabled))
    info["brand_content_toggle"] = bool(chosen.get("brand_content_toggle"))
    info["brand_organic_toggle"] = bool(chosen.get("brand_organic_toggle"))
    info["is_aigc"] = bool(chosen.get("is_aigc", request.synthetic_media))
    return info
