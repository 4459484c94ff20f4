"""Post options per platform: the pure rules in ``oasis_plugins.<platform>.options`` (YouTube's title,
description and tag limits, TikTok's privacy from the creator's options and its switches, Instagram's
caption length, hashtags and cover time), with generated inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core.domain.post_options import count_hashtags
from oasis_core.domain.publishing import PostingRules, PublishRequest
from oasis_core.errors import InvalidInput
from oasis_plugins.instagram import options as instagram
from oasis_plugins.tiktok import options as tiktok
from oasis_plugins.youtube import options as youtube

WORDS = PublishRequest(Path("video.mp4"), title="Keep going", description="A caption", tags=("motivation",))
YOUTUBE = PostingRules(platform="youtube", privacy_options=("public", "unlisted", "private"))
ANY_TIKTOK = PostingRules(platform="tiktok")
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<>,#"), min_size=1, max_size=40
)


def refused_field(check: Any, *args: Any, **kwargs: Any) -> str | None:
    """The field a check refuses, or ``None`` when it accepts."""
    try:
        check(*args, **kwargs)
    except InvalidInput as exc:
        return exc.field or ""
    return None


# -- YouTube -----------------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=150), st.sampled_from("aé漢🙂"))
def test_a_youtube_title_holds_at_most_100_characters(length: int, letter: str) -> None:
    field = refused_field(youtube.check, {"title": letter * length}, YOUTUBE, WORDS)
    assert field == (None if length <= 100 else "title")


@given(st.integers(min_value=0, max_value=2600), st.sampled_from(["a", "é", "漢", "🙂"]))
def test_a_youtube_description_holds_at_most_5000_bytes(length: int, letter: str) -> None:
    text = letter * length
    field = refused_field(youtube.check, {"description": text}, YOUTUBE, WORDS)
    assert field == (None if len(text.encode("utf-8")) <= 5000 else "description")


@given(st.lists(SAFE_TEXT, max_size=40))
def test_youtube_tags_count_as_youtube_counts_them(tags: list[str]) -> None:
    stripped = [tag.strip() for tag in tags]
    # YouTube's count: the tags joined by commas, a tag with a space in quotes
    counted = len(",".join(f'"{tag}"' if " " in tag else tag for tag in stripped))
    field = refused_field(youtube.check, {"tags": tags}, YOUTUBE, WORDS)
    if any(not tag for tag in stripped):
        assert field == "tags"
    else:
        assert field == (None if counted <= 500 else "tags")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"title": "a <b>"}, "title"),
        ({"title": "   "}, "title"),
        ({"description": "x > y"}, "description"),
        ({"tags": ["ok", "no<"]}, "tags"),
        ({"tags": "one,two"}, "tags"),
        ({"privacy": "secret"}, "privacy"),
        ({"category_id": "music"}, "category_id"),
        ({"made_for_kids": "no"}, "made_for_kids"),
        ({"visibility": "public"}, "visibility"),
    ],
)
def test_what_youtube_refuses_is_named(options: dict[str, Any], field: str) -> None:
    assert refused_field(youtube.check, options, YOUTUBE, WORDS) == field


def test_youtube_options_apply_over_the_videos_words() -> None:
    checked = youtube.check(
        {
            "title": " Mine ",
            "tags": ["a b"],
            "privacy": "unlisted",
            "category_id": 27,
            "notify_subscribers": False,
        },
        YOUTUBE,
        WORDS,
    )
    request = PublishRequest(WORDS.video_path, title="Video", description="Words", options=checked)
    applied, category, notify = youtube.resolve(request, category_id="22", notify=True)
    assert (applied.title, applied.tags, applied.privacy, applied.description) == (
        "Mine",
        ("a b",),
        "unlisted",
        "Words",
    )
    assert (category, notify) == ("27", False)


# -- TikTok ------------------------------------------------------------------------------------------

LEVELS = st.lists(st.sampled_from(tiktok.PRIVACY_LEVELS), min_size=1, unique=True).map(tuple)


@given(LEVELS, st.sampled_from(tiktok.PRIVACY_LEVELS))
def test_the_tiktok_privacy_must_be_one_of_the_creators_options(
    offered: tuple[str, ...], wanted: str
) -> None:
    rules = PostingRules(platform="tiktok", privacy_options=offered)
    field = refused_field(tiktok.check, {"privacy_level": wanted}, rules, WORDS)
    assert field == (None if wanted in offered else "privacy_level")


def test_a_tiktok_post_must_name_its_privacy() -> None:
    assert refused_field(tiktok.check, {}, ANY_TIKTOK, WORDS) == "privacy_level"
    assert refused_field(tiktok.check, {"privacy_level": "public"}, ANY_TIKTOK, WORDS) == "privacy_level"


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_interactions_the_creator_disabled_are_forced_off(
    comment: bool, duet: bool, stitch: bool, no_comment: bool, no_duet: bool, no_stitch: bool
) -> None:
    rules = PostingRules(
        platform="tiktok", comment_disabled=no_comment, duet_disabled=no_duet, stitch_disabled=no_stitch
    )
    chosen = {
        "privacy_level": "SELF_ONLY",
        "disable_comment": comment,
        "disable_duet": duet,
        "disable_stitch": stitch,
    }
    checked = tiktok.check(chosen, rules, WORDS)
    assert (checked["disable_comment"], checked["disable_duet"], checked["disable_stitch"]) == (
        comment or no_comment,
        duet or no_duet,
        stitch or no_stitch,
    )
    info = tiktok.post_info(PublishRequest(WORDS.video_path, title="t", options=checked), rules, "SELF_ONLY")
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == (
        comment or no_comment,
        duet or no_duet,
        stitch or no_stitch,
    )


def test_branded_content_cannot_be_private_and_toggles_start_off() -> None:
    private_brand = {"privacy_level": "SELF_ONLY", "brand_content_toggle": True}
    assert refused_field(tiktok.check, private_brand, ANY_TIKTOK, WORDS) == "brand_content_toggle"
    checked = tiktok.check({"privacy_level": "PUBLIC_TO_EVERYONE"}, ANY_TIKTOK, WORDS)
    assert (checked["brand_content_toggle"], checked["brand_organic_toggle"], checked["is_aigc"]) == (
        False,
        False,
        True,
    )


@given(st.integers(min_value=0, max_value=2400))
def test_the_tiktok_caption_fits_2200_characters_with_its_hashtags(length: int) -> None:
    words = PublishRequest(Path("v.mp4"), title="T", description="x" * length, tags=("motivation",))
    caption = f"T\n\n{'x' * length}\n\n#motivation" if length else "T\n\n#motivation"
    field = refused_field(tiktok.check, {"privacy_level": "SELF_ONLY"}, ANY_TIKTOK, words)
    assert field == (None if len(caption) <= 2200 else "content")


def test_a_video_longer_than_the_creator_may_post_is_refused() -> None:
    rules = PostingRules(platform="tiktok", max_duration_seconds=60)
    assert refused_field(tiktok.check, {"privacy_level": "SELF_ONLY"}, rules, WORDS, 61.0) == "video_id"
    assert refused_field(tiktok.check, {"privacy_level": "SELF_ONLY"}, rules, WORDS, 60.0) is None


# -- Instagram ---------------------------------------------------------------------------------------

INSTAGRAM = PostingRules(platform="instagram")


@given(st.integers(min_value=0, max_value=45), st.integers(min_value=0, max_value=2300))
def test_an_instagram_caption_holds_2200_characters_and_30_hashtags(hashtags: int, padding: int) -> None:
    caption = " ".join(f"#tag{number}" for number in range(hashtags)) + " " + "x" * padding
    field = refused_field(instagram.check, {"caption": caption}, INSTAGRAM, WORDS)
    assert count_hashtags(caption) == hashtags
    assert field == (None if len(caption) <= 2200 and hashtags <= 30 else "caption")


@given(st.integers(min_value=0, max_value=45))
def test_the_caption_made_from_the_post_is_held_to_the_same_limits(hashtags: int) -> None:
    built = "Title " + " ".join(f"#t{number}" for number in range(hashtags))
    field = refused_field(instagram.check, {}, INSTAGRAM, WORDS, built_caption=built)
    assert field == (None if hashtags <= 30 else "content")


@given(st.floats(min_value=-5, max_value=20, allow_nan=False), st.floats(min_value=3, max_value=15))
def test_the_cover_time_lies_within_the_video(at: float, duration: float) -> None:
    field = refused_field(instagram.check, {"cover_time": at}, INSTAGRAM, WORDS, duration)
    assert field == (None if 0 <= at <= duration else "cover_time")


def test_hashtags_inside_words_or_urls_are_not_counted() -> None:
    assert count_hashtags("#one two#three https://x.example/#anchor #four") == 2
