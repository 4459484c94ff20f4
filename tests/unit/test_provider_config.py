"""``ProviderConfig``'s typed settings: one parser that every plugin uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import ProviderConfig
from oasis_core.errors import InvalidInput


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e12))
def test_a_number_setting_reads_back(value: float) -> None:
    assert ProviderConfig(settings={"timeout": repr(value)}).number("timeout", 5.0) == value


@given(st.integers(min_value=3, max_value=10**9))
def test_a_whole_setting_reads_back(value: int) -> None:
    assert ProviderConfig(settings={"retries": str(value)}).whole("retries", 1, minimum=3) == value


def test_unset_or_empty_settings_give_the_default() -> None:
    assert ProviderConfig().number("timeout", 2.5) == 2.5
    assert ProviderConfig(settings={"retries": ""}).whole("retries", 4) == 4


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", "-1", "1e999"])
def test_a_bad_number_names_the_setting(raw: str) -> None:
    with pytest.raises(InvalidInput, match="'timeout'") as caught:
        ProviderConfig(settings={"timeout": raw}).number("timeout", 1.0)
    assert caught.value.field == "timeout" and raw in caught.value.message


@pytest.mark.parametrize("raw", ["1.5", "two", "-3", "2"])
def test_a_bad_whole_number_names_the_setting(raw: str) -> None:
    with pytest.raises(InvalidInput, match="'retries'"):
        ProviderConfig(settings={"retries": raw}).whole("retries", 5, minimum=3)
    assert ProviderConfig(settings={"retries": "3"}).whole("retries", 5, minimum=3) == 3
