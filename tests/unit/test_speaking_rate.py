"""The speaking rate every speech engine and the render service accept: a number from 0.5 to 2.0."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core.errors import InvalidInput
from oasis_core.ports.speech_engine import MAX_RATE, MIN_RATE, speaking_rate


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10))
def test_a_number_is_a_rate_exactly_when_it_is_in_range(value: float) -> None:
    if not math.isnan(value) and MIN_RATE <= value <= MAX_RATE:
        assert speaking_rate(value) == float(value)
    else:
        with pytest.raises(InvalidInput, match=r"between 0\.5 and 2\.0") as raised:
            speaking_rate(value, field="speed")
        assert raised.value.field == "speed"


@pytest.mark.parametrize("value", [True, False, None, "fast", "", [1.0]])
def test_what_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput):
        speaking_rate(value)


def test_text_holding_a_number_is_read() -> None:
    assert speaking_rate("1.5") == 1.5
