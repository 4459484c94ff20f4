"""Boundary conversion: plain data to domain objects, with readable errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import InvalidInput, PublishRequest, ScheduledPost
from oasis_core.converter import structure, unstructure


def test_a_request_round_trips() -> None:
    data = {"video_path": "/tmp/v.mp4", "title": "Hi", "tags": ["a", "b"], "privacy": "unlisted"}
    request = structure(data, PublishRequest)
    assert request.video_path == Path("/tmp/v.mp4") and request.tags == ("a", "b")
    assert unstructure(request)["video_path"] == "/tmp/v.mp4"


def test_unknown_keys_and_bad_types_name_the_field() -> None:
    with pytest.raises(InvalidInput, match="colour"):
        structure({"video_path": "/v.mp4", "title": "x", "colour": "red"}, PublishRequest)
    with pytest.raises(InvalidInput, match="title"):
        structure({"video_path": "/v.mp4"}, PublishRequest)


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))])))
def test_times_keep_their_instant_and_come_out_in_utc(moment: datetime) -> None:
    post = ScheduledPost("p", None, "youtube", moment)
    data = unstructure(post)
    assert data["scheduled_time"].endswith("Z")
    assert structure(data, ScheduledPost).scheduled_time == moment


def test_a_naive_time_is_taken_as_utc() -> None:
    data = unstructure(ScheduledPost("p", None, "tiktok", datetime(2026, 1, 1, 9, tzinfo=UTC)))
    data["scheduled_time"] = "2026-01-01T09:00:00"
    assert structure(data, ScheduledPost).scheduled_time == datetime(2026, 1, 1, 9, tzinfo=UTC)
