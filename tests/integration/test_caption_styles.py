"""Caption styles drawn for real: each preset, the band's position, capitals, colours, fonts, the preview."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from attrs import evolve
from PIL import Image
from tests.media_checks import frames_rgb

from oasis_core import ASPECTS, Composition, InvalidInput, ProviderConfig, Scene, Visuals
from oasis_core.domain.caption_style import PRESET_IDS, CaptionPosition, CaptionStyle, caption_style
from oasis_core.domain.captions import CaptionPhrase
from oasis_core.domain.media import Aspect, WordTiming
from oasis_core.ports.compositor import CaptionPreviews
from oasis_core.services.captions import caption_geometry, plan_captions
from oasis_core.testing import FakeSpeechEngine
from oasis_plugins.pyav import PyAVCompositor
from oasis_plugins.pyav.caption_painter import CaptionPainter
from oasis_plugins.pyav.font_names import find_font

VERTICAL = ASPECTS[0]
GREY = 128


def phrase(text: str) -> CaptionPhrase:
    words = tuple(WordTiming(word, i * 0.3, (i + 1) * 0.3) for i, word in enumerate(text.split()))
    return CaptionPhrase(words, 0.0, words[-1].end)


def painter(style: CaptionStyle, aspect: Aspect = VERTICAL) -> CaptionPainter:
    return CaptionPainter(caption_geometry(aspect, style), style=style)


def highlighted_strip(style: CaptionStyle, text: str = "Keep walking forward") -> Image.Image:
    """The strip with the second word highlighted."""
    _, cues = painter(style).cues((phrase(text),), 2.0)
    return [cue.image for cue in cues if cue.image is not None][1]


def pixels_of(image: Image.Image, colour: tuple[int, int, int, int]) -> int:
    return int(np.all(np.asarray(image) == np.array(colour, np.uint8), axis=-1).sum())


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_each_preset_draws_its_text_and_highlight_colours(preset: str) -> None:
    style = caption_style(preset)
    strip = highlighted_strip(style)
    assert pixels_of(strip, style.colour) > 500
    assert pixels_of(strip, style.highlight_colour) > 200


def test_chosen_colours_are_the_ones_drawn() -> None:
    style = caption_style("classic", colour="#40c0ff", highlight_colour="#ff3366")
    strip = highlighted_strip(style)
    assert pixels_of(strip, (64, 192, 255, 255)) > 500 and pixels_of(strip, (255, 51, 102, 255)) > 200
    assert pixels_of(strip, (255, 255, 255, 255)) == 0


def test_the_boxed_preset_puts_a_translucent_box_behind_the_text_and_others_do_not() -> None:
    boxed = np.asarray(highlighted_strip(caption_style("boxed")))
    classic = np.asarray(highlighted_strip(caption_style("classic")))
    box_alpha = caption_style("boxed").outline_colour[3]
    # the box: a solid run of its own opacity across the line, between and around the words
    row = boxed[boxed.shape[0] // 2]
    assert int((row[:, 3] == box_alpha).sum()) > 100
    assert int((classic[classic.shape[0] // 2][:, 3] == box_alpha).sum()) < 20


def test_an_uppercase_style_draws_capitals() -> None:
    bold = caption_style("bold")
    assert bold.uppercase
    as_capitals = painter(bold).still(phrase("Keep going strong"))
    already = painter(evolve(bold, uppercase=False)).still(phrase("KEEP GOING STRONG"))
    lower = painter(evolve(bold, uppercase=False)).still(phrase("Keep going strong"))
    assert np.array_equal(np.asarray(as_capitals), np.asarray(already))
    assert not np.array_equal(np.asarray(as_capitals), np.asarray(lower))


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_the_strip_sits_top_middle_or_bottom(aspect: Aspect) -> None:
    centres = []
    for position in CaptionPosition:
        style = caption_style(position=position)
        drawn = painter(style, aspect)
        height, _ = drawn.cues((phrase("Stay the course"),), 1.0)
        centres.append(drawn.strip_top(height) + height / 2)
    top, middle, bottom = centres
    assert top < aspect.height / 3 < middle < bottom
    assert abs(middle - aspect.height / 2) <= 1


def test_a_larger_size_draws_larger_text() -> None:
    small = np.asarray(painter(caption_style(size=40)).still(phrase("Go")))
    large = np.asarray(painter(caption_style(size=120)).still(phrase("Go")))
    assert int((large[..., 3] > 0).sum()) > 4 * int((small[..., 3] > 0).sum())


def test_a_font_is_found_by_name_or_path_and_an_unknown_one_is_named() -> None:
    thin = find_font("Lato Thin")
    assert Path(thin).name == "Lato-Thin.ttf"
    assert find_font("lato-thin.ttf") == thin
    assert find_font(thin) == thin
    assert Path(find_font("Lato")).name == "Lato-Black.ttf"  # a family: its heaviest upright face
    assert painter(caption_style(font="Lato Thin")).font_path == thin
    white = (255, 255, 255, 255)
    thin_ink = pixels_of(painter(caption_style(font="Lato Thin")).still(phrase("Hi")), white)
    assert 0 < thin_ink < pixels_of(painter(caption_style()).still(phrase("Hi")), white)
    for missing in ("No Such Font", "/nowhere/font.ttf"):
        with pytest.raises(InvalidInput) as caught:
            PyAVCompositor(ProviderConfig()).check_caption_style(caption_style(font=missing))
        assert caught.value.field == "captions.font"


def test_the_compositor_lists_wheel_fonts_and_previews_a_style() -> None:
    compositor = PyAVCompositor(ProviderConfig())
    assert isinstance(compositor, CaptionPreviews)
    assert "Lato-Black" in compositor.caption_fonts()
    style = caption_style("boxed", position="top")
    png = compositor.caption_preview(style, VERTICAL, "The best time to plant a tree was twenty years ago")
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (VERTICAL.width // 2, VERTICAL.height // 2)
        frame = np.asarray(image.convert("RGB"))
    ys = np.nonzero(frame.min(axis=2) > 220)[0]
    assert ys.size > 100 and ys.mean() < frame.shape[0] / 3  # white text in the top band
    assert abs(ys.mean() - caption_geometry(Aspect("half", 540, 960), style).center_y) < 40


def grey_visuals(tmp_path: Path, aspect: Aspect, duration: float) -> Visuals:
    path = tmp_path / "grey.png"
    Image.new("RGB", (aspect.width, aspect.height), (GREY, GREY, GREY)).save(path)
    return Visuals((Scene(path, 0.0, duration),), "minimal")


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESET_IDS)
def test_a_render_draws_each_preset_where_its_position_says(tmp_path: Path, preset: str) -> None:
    style = caption_style(preset)
    speech = FakeSpeechEngine().synthesize("Stay hungry and keep walking.", tmp_path)
    duration = speech.duration + 0.3
    phrases = plan_captions(speech.words, duration, max_words=style.words_per_phrase)
    composition = Composition(
        speech=speech,
        visuals=grey_visuals(tmp_path, VERTICAL, duration),
        captions=phrases,
        aspect=VERTICAL,
        duration=duration,
        output_path=tmp_path / "v.mp4",
        thumbnail_path=tmp_path / "v.jpg",
        caption_style=style,
    )
    PyAVCompositor(ProviderConfig()).compose(composition)
    first = phrases[0]
    index = round((first.start + first.end) / 2 * 30)
    frame = frames_rgb(composition.output_path, {index})[index].astype(int)
    ys, xs = np.nonzero(frame.min(axis=2) > 215)
    geometry = caption_geometry(VERTICAL, style)
    assert ys.size > 200, "no caption text in the frame"
    assert abs(ys.mean() - geometry.center_y) < geometry.font_size
    band = frame[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].mean(axis=2)
    if style.box:  # the translucent dark box darkens the grey around the words
        assert np.median(band) < GREY * 0.6
    else:
        assert np.median(band) > GREY * 0.7


def test_the_sdk_refuses_a_font_the_compositor_cannot_find_before_any_work(tmp_path: Path) -> None:
    from oasis_core import PortKind, Studio
    from oasis_core.testing import fake_catalog

    catalog = fake_catalog()
    catalog.add(PortKind.COMPOSITOR, PyAVCompositor, plugin="pyav")
    studio = Studio(catalog, data_dir=tmp_path, environ={})
    with pytest.raises(InvalidInput) as caught:
        studio.plan(
            quote="Hi.",
            output=tmp_path / "x.mp4",
            providers={"compositor": "pyav"},
            captions=caption_style(font="No Such Font"),
        )
    assert caught.value.field == "captions.font"
    plan = studio.plan(
        quote="Hi.",
        output=tmp_path / "x.mp4",
        providers={"compositor": "pyav"},
        captions=caption_style(font="Lato"),
    )
    assert plan.captions.font == "Lato"


def test_the_minimal_preset_keeps_a_phrase_on_one_line() -> None:
    minimal = caption_style("minimal")
    drawn = painter(minimal)
    words = phrase("Small steps every day become a")
    assert len(words.words) == minimal.words_per_phrase
    assert len(drawn.layout(words).lines) == 1
    assert len(painter(caption_style()).layout(words).lines) == 2
