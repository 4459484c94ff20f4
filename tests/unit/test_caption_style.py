"""Caption styles: presets, checked choices, saved settings, geometry and the render's phrasing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import InvalidInput
from oasis_core.domain.caption_style import (
    CAPTION_PRESETS,
    COLOUR_NAMES,
    MAX_SIZE,
    MAX_WORDS,
    MIN_SIZE,
    MIN_WORDS,
    PRESET_IDS,
    CaptionPosition,
    CaptionStyle,
    caption_style,
    caption_style_from,
    colour_hex,
    parse_colour,
)
from oasis_core.domain.media import ASPECTS
from oasis_core.services import RenderProviders, RenderRequest, render_video
from oasis_core.services.captions import caption_geometry
from oasis_core.testing import FakeCompositor, FakeSpeechEngine, FakeVisualSource

channels = st.integers(0, 255)
colours = st.tuples(channels, channels, channels, channels)


def test_the_four_presets_exist_and_classic_is_todays_look() -> None:
    assert {"classic", "boxed", "bold", "minimal"} <= set(PRESET_IDS)
    classic = caption_style()
    assert classic == CAPTION_PRESETS["classic"] == caption_style_from(None)
    assert classic.colour == (255, 255, 255, 255) and classic.highlight_colour == (255, 214, 64, 255)
    assert (classic.position, classic.words_per_phrase, classic.uppercase) == (
        CaptionPosition.BOTTOM,
        4,
        False,
    )
    assert caption_style("boxed").box and not caption_style("classic").box
    assert caption_style("bold").uppercase and caption_style("bold").outline > classic.outline
    assert caption_style("minimal").scale < 1 and caption_style("minimal").words_per_phrase > 4


def test_choices_replace_the_presets_own() -> None:
    style = caption_style(
        "Boxed",
        font="Lato Bold",
        size=80,
        colour="#00ff00",
        highlight_colour="red",
        outline_colour="#00000080",
        position="TOP",
        uppercase=True,
        words_per_phrase=2,
    )
    assert style.preset == "boxed" and style.box
    assert style.font == "Lato Bold" and style.size == 80
    assert style.colour == (0, 255, 0, 255) and style.highlight_colour == COLOUR_NAMES["red"]
    assert style.outline_colour == (0, 0, 0, 128)
    assert style.position is CaptionPosition.TOP and style.uppercase and style.words_per_phrase == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"preset": "fancy"}, "captions.preset"),
        ({"size": MIN_SIZE - 1}, "captions.size"),
        ({"size": MAX_SIZE + 1}, "captions.size"),
        ({"size": True}, "captions.size"),
        ({"size": "60"}, "captions.size"),
        ({"colour": "#12"}, "captions.colour"),
        ({"highlight_colour": "sunset"}, "captions.highlight_colour"),
        ({"outline_colour": "#gggggg"}, "captions.outline_colour"),
        ({"position": "left"}, "captions.position"),
        ({"uppercase": "yes"}, "captions.uppercase"),
        ({"words_per_phrase": MIN_WORDS - 1}, "captions.words_per_phrase"),
        ({"words_per_phrase": MAX_WORDS + 1}, "captions.words_per_phrase"),
        ({"font": "  "}, "captions.font"),
        ({"font": "Lato\nBold"}, "captions.font"),
        ({"font": "x" * 201}, "captions.font"),
    ],
)
def test_a_bad_choice_is_refused_naming_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        caption_style(**changes)
    assert caught.value.field == field


def test_closed_choices_are_listed_when_refused() -> None:
    with pytest.raises(InvalidInput, match="classic, boxed, bold, minimal"):
        caption_style("fancy")
    with pytest.raises(InvalidInput, match="top, middle, bottom"):
        caption_style(position="left")


def test_saved_settings_with_an_unknown_key_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        caption_style_from({"preset": "boxed", "colour_text": "#fff"})
    assert caught.value.field == "captions.colour_text"


@given(colours)
def test_a_colour_survives_hex_and_back(colour: tuple[int, int, int, int]) -> None:
    assert parse_colour(colour_hex(colour)) == colour


@given(channels, channels, channels)
def test_short_and_long_hex_forms_agree(red: int, green: int, blue: int) -> None:
    long = f"#{red:02x}{green:02x}{blue:02x}"
    assert (
        parse_colour(long) == parse_colour(long.upper()) == parse_colour(long[1:]) == (red, green, blue, 255)
    )
    assert parse_colour(f"#{red >> 4:x}{green >> 4:x}{blue >> 4:x}") == (
        (red >> 4) * 17,
        (green >> 4) * 17,
        (blue >> 4) * 17,
        255,
    )


@given(st.text(max_size=12))
def test_any_text_is_a_colour_or_refused_naming_the_field(text: str) -> None:
    try:
        colour = parse_colour(text, "captions.highlight_colour")
    except InvalidInput as exc:
        assert exc.field == "captions.highlight_colour"
    else:
        assert len(colour) == 4 and all(0 <= c <= 255 for c in colour)


@given(st.integers(-1000, 1000))
def test_sizes_are_accepted_exactly_within_the_range(size: int) -> None:
    if MIN_SIZE <= size <= MAX_SIZE:
        assert caption_style(size=size).size == size
    else:
        with pytest.raises(InvalidInput):
            caption_style(size=size)


@given(
    st.sampled_from(PRESET_IDS),
    st.none() | st.integers(MIN_SIZE, MAX_SIZE),
    st.none() | colours,
    st.none() | colours,
    st.none() | st.sampled_from(list(CaptionPosition)),
    st.none() | st.booleans(),
    st.none() | st.integers(MIN_WORDS, MAX_WORDS),
    st.none() | st.sampled_from(["Lato", "/fonts/My Font.ttf"]),
)
def test_a_style_is_rebuilt_from_its_saved_settings(
    preset: str,
    size: int | None,
    colour: tuple[int, int, int, int] | None,
    highlight: tuple[int, int, int, int] | None,
    position: CaptionPosition | None,
    uppercase: bool | None,
    words: int | None,
    font: str | None,
) -> None:
    style = caption_style(
        preset,
        size=size,
        colour=colour,
        highlight_colour=highlight,
        position=position,
        uppercase=uppercase,
        words_per_phrase=words,
        font=font,
    )
    assert caption_style_from(style.settings()) == style
    assert caption_style(**style.settings()) == style


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_positions_put_the_band_top_middle_and_bottom(aspect: Any) -> None:
    centres = [caption_geometry(aspect, caption_style(position=p)).center_y for p in CaptionPosition]
    top, middle, bottom = centres
    assert top < aspect.height * 0.3 and bottom > aspect.height * 0.55
    assert top < middle < bottom and middle == aspect.height // 2
    assert caption_geometry(aspect, CAPTION_PRESETS["classic"]) == caption_geometry(aspect)


@given(st.sampled_from(ASPECTS), st.integers(MIN_SIZE, MAX_SIZE))
def test_a_size_sets_the_largest_font_and_the_minimum_stays_below_it(aspect: Any, size: int) -> None:
    geometry = caption_geometry(aspect, caption_style(size=size))
    assert geometry.font_size == size
    assert 4 <= geometry.min_font_size <= size


def test_a_preset_scale_sizes_the_font_from_the_frames_default() -> None:
    aspect = ASPECTS[0]
    default = caption_geometry(aspect).font_size
    assert caption_geometry(aspect, caption_style("minimal")).font_size < default
    assert caption_geometry(aspect, caption_style("bold")).font_size > default


@pytest.mark.parametrize("words", [1, 2, 7])
def test_the_render_phrases_the_captions_as_the_style_says(tmp_path: Path, words: int) -> None:
    compositor = FakeCompositor()
    providers = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), compositor)
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    style = caption_style("minimal", words_per_phrase=words, position="top")
    request = RenderRequest(text=text, visual_prompt="a field", style="cinematic", captions=style)
    render_video(request, providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    composition = compositor.compositions[-1]
    assert composition.caption_style == style
    sizes = [len(phrase.words) for phrase in composition.captions]
    assert max(sizes) == words and sum(sizes) == len(text.split())


def test_a_request_takes_a_preset_name_or_saved_settings() -> None:
    by_name = RenderRequest(text="Hello there", visual_prompt="x", style="cinematic", captions="bold")
    saved = RenderRequest(
        text="Hello there", visual_prompt="x", style="cinematic", captions={"preset": "bold", "size": 70}
    )
    assert by_name.captions == caption_style("bold")
    assert isinstance(saved.captions, CaptionStyle) and saved.captions.size == 70
    with pytest.raises(InvalidInput):
        RenderRequest(text="Hello there", visual_prompt="x", style="cinematic", captions="fancy")


def test_the_sdk_renders_with_the_style_it_is_given(tmp_path: Path) -> None:
    from oasis_core import Studio, caption_style
    from oasis_core.testing import fake_catalog

    studio = Studio(fake_catalog(), data_dir=tmp_path / "data", environ={})
    style = caption_style("bold", position="bottom", words_per_phrase=2)
    plan = studio.plan(quote="One two three four five six.", output=tmp_path / "a.mp4", captions=style)
    assert plan.captions == style
    described = json.loads(studio.run(plan).path.read_text(encoding="utf-8"))
    assert max(len(phrase) for phrase in described["phrases"]) == 2
    assert studio.plan(quote="Hi.", output=tmp_path / "b.mp4", captions="minimal").captions == caption_style(
        "minimal"
    )
    assert studio.plan(quote="Hi.", output=tmp_path / "c.mp4").captions == caption_style()
    with pytest.raises(InvalidInput) as caught:
        studio.render(quote="Hi.", output=tmp_path / "d.mp4", captions="fancy")
    assert caught.value.field == "captions.preset"
