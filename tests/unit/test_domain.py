"""Domain objects: state machines, validation and small value rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import (
    InvalidInput,
    InvalidTransition,
    PostStatus,
    RenderStage,
    ScheduledPost,
    Video,
    VideoStatus,
    get_aspect,
    get_category,
    get_style,
    key_hint,
    validate_text,
)
from oasis_core.domain.publishing import can_move


def make_video() -> Video:
    return Video("v1", "motivation", "Keep going.", "a road", "cinematic")


def test_a_video_moves_forward_through_its_stages_to_completed() -> None:
    video = make_video()
    video.advance(RenderStage.SPEECH, 0.5)
    first = video.progress
    video.advance(RenderStage.COMPOSE, 0.5)
    assert video.progress > first
    video.complete(12.5)
    assert (video.status, video.stage, video.progress, video.duration) == (
        VideoStatus.COMPLETED,
        RenderStage.DONE,
        100,
        12.5,
    )


def test_a_video_cannot_go_back_a_stage_or_leave_a_final_state() -> None:
    video = make_video()
    video.advance(RenderStage.COMPOSE)
    with pytest.raises(InvalidTransition):
        video.advance(RenderStage.SPEECH)
    video.fail("The speech engine refused the text")
    assert video.status is VideoStatus.FAILED and video.error
    with pytest.raises(InvalidTransition):
        video.complete(1.0)
    with pytest.raises(InvalidTransition):
        video.fail("again")


def test_progress_never_decreases_within_a_stage() -> None:
    video = make_video()
    video.advance(RenderStage.COMPOSE, 0.8)
    high = video.progress
    video.advance(RenderStage.COMPOSE, 0.1)
    assert video.progress == high


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (PostStatus.PENDING, PostStatus.PUBLISHING, True),
        (PostStatus.PUBLISHING, PostStatus.PUBLISHED, True),
        (PostStatus.PUBLISHING, PostStatus.PENDING, True),
        (PostStatus.PUBLISHED, PostStatus.PENDING, False),
        (PostStatus.CANCELLED, PostStatus.PUBLISHING, False),
        (PostStatus.PENDING, PostStatus.PUBLISHED, False),
    ],
)
def test_scheduled_post_moves(start: PostStatus, target: PostStatus, allowed: bool) -> None:
    from datetime import UTC, datetime

    post = ScheduledPost("p1", "v1", "youtube", datetime.now(UTC), status=start)
    assert can_move(start, target) is allowed
    if allowed:
        post.move(target)
        assert post.status is target
    else:
        with pytest.raises(InvalidTransition):
            post.move(target)


@given(st.text(min_size=0, max_size=80))
def test_a_key_hint_never_shows_more_than_four_characters_or_a_quarter(secret: str) -> None:
    hint = key_hint(secret)
    shown = hint.removeprefix("…")
    assert len(shown) <= 4 and len(shown) <= len(secret) // 4
    assert secret.endswith(shown)


def test_text_is_trimmed_and_bounded() -> None:
    assert validate_text("  Keep   going. ") == "Keep going."
    with pytest.raises(InvalidInput, match="empty"):
        validate_text(" \n ")
    with pytest.raises(InvalidInput, match="limit is 1000"):
        validate_text("a" * 1001)


def test_unknown_names_list_the_valid_choices() -> None:
    with pytest.raises(InvalidInput) as info:
        get_category("nope")
    assert "motivation" in info.value.choices and "choose from" in str(info.value)
    with pytest.raises(InvalidInput, match="cinematic"):
        get_style("nope")
    with pytest.raises(InvalidInput, match="9:16"):
        get_aspect("4:3")
    assert get_aspect("16:9").width == 1920


def test_speech_and_visuals_freeze_their_sequences(tmp_path: Path) -> None:
    from oasis_core import Scene, Speech, Visuals, WordTiming

    speech = Speech(tmp_path / "a.wav", 1.0, [WordTiming("hi", 0.0, 0.5)])
    visuals = Visuals([Scene(tmp_path / "a.png", 0.0, 1.0)], "minimal")
    assert isinstance(speech.words, tuple) and isinstance(visuals.scenes, tuple)
    with pytest.raises(ValueError):
        Visuals([], "minimal")
    with pytest.raises(ValueError):
        WordTiming("x", 1.0, 0.5)
