"""How a video ends: the 5 s minimum and the end card, planned by the render service."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import InvalidInput
from oasis_core.domain.media import WordTiming
from oasis_core.services import RenderProviders, RenderRequest, render_video
from oasis_core.services.captions import plan_captions
from oasis_core.services.ending import (
    END_CARD_SECONDS,
    MAX_ATTRIBUTION,
    MIN_SECONDS,
    optional_attribution,
    plan_ending,
)
from oasis_core.services.render import TAIL_SECONDS
from oasis_core.testing import FakeCompositor, FakeSpeechEngine, FakeVisualSource


def timed(count: int, step: float) -> list[WordTiming]:
    return [WordTiming(f"w{i}", i * step, (i + 1) * step) for i in range(count)]


@given(count=st.integers(0, 40), step=st.floats(0.05, 1.0), credited=st.booleans())
def test_no_video_is_shorter_than_five_seconds_and_the_end_card_follows_the_captions(
    count: int, step: float, credited: bool
) -> None:
    speech = count * step + 0.1
    captions = plan_captions(timed(count, step), speech + TAIL_SECONDS)
    ending = plan_ending(speech, captions, "Epictetus" if credited else None, tail=TAIL_SECONDS)
    assert ending.duration >= MIN_SECONDS
    assert ending.duration >= speech + TAIL_SECONDS
    assert ending.duration == pytest.approx(max(MIN_SECONDS, speech + TAIL_SECONDS)) or credited
    if not credited:
        assert ending.end_card is None
        return
    assert ending.end_card is not None and ending.end_card.text == "— Epictetus"
    assert all(phrase.end <= ending.end_card.start for phrase in captions)
    assert ending.duration - ending.end_card.start >= END_CARD_SECONDS - 1e-9


@pytest.mark.parametrize(
    ("given_text", "kept"),
    [("  Epictetus ", "Epictetus"), ("— Marcus  Aurelius", "Marcus Aurelius"), ("   ", None), (None, None)],
)
def test_attributions_are_trimmed_and_blank_ones_dropped(given_text: str | None, kept: str | None) -> None:
    assert optional_attribution(given_text) == kept


def test_an_overlong_attribution_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        optional_attribution("x" * (MAX_ATTRIBUTION + 1))
    assert info.value.field == "attribution"


def render(tmp_path: Path, text: str, attribution: str | None) -> tuple[float, object]:
    compositor = FakeCompositor()
    request = RenderRequest(text=text, visual_prompt="a quiet lake", style="minimal", attribution=attribution)
    providers = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), compositor)
    outcome = render_video(request, providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    composition = compositor.compositions[0]
    assert outcome.video.duration == composition.duration
    return composition.duration, composition


def test_a_one_word_quote_makes_a_five_second_video_ending_on_its_author(tmp_path: Path) -> None:
    duration, composition = render(tmp_path, "Courage.", "Epictetus")
    assert duration == pytest.approx(MIN_SECONDS)  # 0.4 s of speech
    assert composition.end_card.text == "— Epictetus"  # type: ignore[attr-defined]
    assert composition.end_card.start == pytest.approx(composition.captions[-1].end)  # type: ignore[attr-defined]
    assert composition.script == "Courage."  # type: ignore[attr-defined]


def test_a_long_quote_runs_on_until_its_end_card_has_been_seen(tmp_path: Path) -> None:
    text = " ".join(["onward"] * 30)  # 9.1 s of speech
    duration, composition = render(tmp_path, text, "Seneca")
    card = composition.end_card  # type: ignore[attr-defined]
    assert duration == pytest.approx(card.start + END_CARD_SECONDS)
    uncredited, plain = render(tmp_path, text, None)
    assert plain.end_card is None  # type: ignore[attr-defined]
    assert uncredited == pytest.approx(plain.speech.duration + TAIL_SECONDS)  # type: ignore[attr-defined]
