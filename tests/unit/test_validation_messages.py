"""What the API says about a request that fails validation: the field, in words a person can act on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_server.api.errors import plain_field_error


@pytest.mark.parametrize(
    ("key", "message", "expected"),
    [
        ("data", "Object missing required field `password`", ("password", "Required")),
        ("providers", "Object missing required field `llm`", ("providers.llm", "Required")),
        ("data", "Object contains unknown field `extra`", ("extra", "Not a field of this request")),
        (
            "providers",
            "Object contains unknown field `music`",
            ("providers.music", "Not a field of this request"),
        ),
        ("category", "Expected `str` of length <= 50", ("category", "At most 50 characters")),
        ("content", "Expected `str` of length >= 1", ("content", "At least 1 character")),
        ("platforms", "Expected `array` of length <= 10", ("platforms", "At most 10 items")),
        ("platforms", "Expected `array` of length >= 1", ("platforms", "At least 1 item")),
        ("usage", "Expected `object` of length >= 1", ("usage", "At least 1 entry")),
        ("limit", "Expected `int` >= 1", ("limit", "Must be at least 1")),
        ("limit", "Expected `int` <= 100", ("limit", "Must be at most 100")),
        ("limit", "Expected `int`, got `str`", ("limit", "Must be a whole number")),
        ("email", "Expected `str`, got `int`", ("email", "Must be text")),
        ("title", "Expected `str | null`, got `int`", ("title", "Must be text")),
        ("enabled", "Expected `bool`, got `str`", ("enabled", "Must be true or false")),
        ("platforms", "Expected `array`, got `str`", ("platforms", "Must be a list")),
        ("status", "Invalid enum value 'done'", ("status", "'done' is not an accepted value")),
        ("type", "Invalid value 'poem'", ("type", "'poem' is not an accepted value")),
        ("when", "Invalid RFC3339 encoded datetime", ("when", "Invalid RFC3339 encoded datetime")),
    ],
)
def test_each_kind_of_complaint_reads_plainly(key: str, message: str, expected: tuple[str, str]) -> None:
    assert plain_field_error(key, message) == expected


@given(key=st.text(max_size=40), message=st.text(max_size=200))
def test_any_complaint_gives_a_field_and_a_message(key: str, message: str) -> None:
    field, text = plain_field_error(key, message)
    assert isinstance(field, str) and isinstance(text, str)
    assert text == message or text  # recognised ones are rewritten, never emptied
