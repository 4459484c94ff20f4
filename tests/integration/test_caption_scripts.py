"""Captions in every script: a face with every glyph, Arabic joined, right-to-left words, CJK wrapped.

Set ``OASIS_CAPTION_SHEET=/path/sheet.png`` to also write a contact sheet of
the eight sample scripts (one strip each, second word highlighted) to look at.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.integration.test_pyav_compositor import dark_visuals
from tests.media_checks import frames_rgb, probe

from oasis_core import ASPECTS, Composition, InvalidInput, ProviderConfig, WordTiming
from oasis_core.domain.captions import CaptionPhrase
from oasis_core.services.captions import caption_geometry, join_words, plan_captions
from oasis_core.testing import FakeSpeechEngine
from oasis_plugins.pyav import PyAVCompositor
from oasis_plugins.pyav.caption_painter import CaptionCue, CaptionPainter
from oasis_plugins.pyav.font_files import FontFace, coverage, system_font_files
from oasis_plugins.pyav.fonts import default_font_path, load_font, missing_glyphs
from oasis_plugins.pyav.scripts import needs_glyph

SAMPLES = {
    "zh": "千里之行，始于足下。",
    "ja": "継続は力なり。",
    "ko": "천 리 길도 한 걸음부터",
    "ar": "رحلة الألف ميل تبدأ بخطوة",
    "he": "מסע של אלף מילין מתחיל בצעד",
    "hi": "हज़ार मील की यात्रा एक कदम से",
    "ru": "Дорогу осилит идущий",
    "el": "Αρχή ήμισυ παντός",
}
NEEDS_SYSTEM_FONTS = pytest.mark.skipif(
    not any("NotoSansCJK" in path.name for path in system_font_files()),
    reason="needs the Debian packages fonts-noto-core and fonts-noto-cjk",
)
pytestmark = [pytest.mark.slow, NEEDS_SYSTEM_FONTS]
GEOMETRY = caption_geometry(ASPECTS[0])


def timed_words(text: str, seconds: float = 3.0) -> list[WordTiming]:
    """``text``'s space-separated words, spread evenly over ``seconds`` (as a speech engine gives them)."""
    words = text.split()
    step = seconds / len(words)
    return [WordTiming(word, i * step, (i + 1) * step) for i, word in enumerate(words)]


def first_phrase(text: str) -> CaptionPhrase:
    return plan_captions(timed_words(text), 3.5)[0]


def highlighted_cues(painter: CaptionPainter, phrase: CaptionPhrase) -> list[CaptionCue]:
    _, cues = painter.cues((phrase,), phrase.end)
    return [cue for cue in cues if cue.image is not None]


def drawn_columns(image: Image.Image) -> np.ndarray:
    """The x positions where the strip has opaque, bright (text) pixels."""
    pixels = np.asarray(image)
    text = (pixels[..., 3] > 200) & (pixels[..., :3].min(axis=2) > 150)
    return np.flatnonzero(text.any(axis=0))


def yellow_columns(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image).astype(int)
    yellow = (pixels[..., 0] > 200) & (pixels[..., 1] > 170) & (pixels[..., 2] < 140) & (pixels[..., 3] > 200)
    return np.flatnonzero(yellow.any(axis=0))


@pytest.mark.parametrize("language", list(SAMPLES))
def test_every_character_of_each_script_has_a_glyph_and_is_drawn(language: str) -> None:
    painter = CaptionPainter(GEOMETRY, language=language)
    phrase = first_phrase(SAMPLES[language])
    face = painter.chooser((phrase,)).face_for(" ".join(phrase.texts))
    assert face is not None
    assert missing_glyphs(face, "".join(phrase.texts)) == []
    covered = coverage(face)
    assert all(char in covered for char in "".join(phrase.texts) if needs_glyph(char))
    cues = highlighted_cues(painter, phrase)
    assert len(cues) == len(phrase.words)
    columns = drawn_columns(cues[0].image)  # type: ignore[arg-type]
    assert columns.size > GEOMETRY.frame_width // 10, "the caption band is (nearly) empty"


def test_a_word_that_no_font_has_is_drawn_with_the_best_face_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    painter = CaptionPainter(GEOMETRY)
    # A private-use character no font maps; a new one each run, as the warning is given once per process.
    unknown = chr(0xF0000 + random.randrange(0xFFFD))
    phrase = first_phrase(f"Hello {unknown} world")
    with caplog.at_level("WARNING", logger="oasis_plugins.pyav.fonts"):
        cues = highlighted_cues(painter, phrase)
        highlighted_cues(CaptionPainter(GEOMETRY), phrase)
    assert len(cues) == 3
    assert painter.chooser().face_for(" ".join(phrase.texts)) == FontFace(str(default_font_path()))
    named = f"U+{ord(unknown):04X}"
    assert sum(named in record.getMessage() for record in caplog.records) == 1


def test_japanese_uses_the_japanese_face_of_the_cjk_collection() -> None:
    faces = {}
    for language in ("ja", "zh", "zh-tw", "ko"):
        painter = CaptionPainter(GEOMETRY, language=language)
        faces[language] = painter.chooser().face_for("水")
    assert len({face.index for face in faces.values() if face}) == 4
    # Without a language, kana in the captions are enough to pick the Japanese face.
    guessed = CaptionPainter(GEOMETRY)
    guessed.chooser((first_phrase("継続は力なり。"),))
    assert guessed.chooser().face_for("水") == faces["ja"]


def test_arabic_is_drawn_joined() -> None:
    word = "بخطوة"
    painter = CaptionPainter(GEOMETRY, language="ar")
    face = painter.chooser().face_for(word)
    font = load_font(face, 80)
    joined = font.getlength(word)
    isolated = sum(font.getlength(letter) for letter in word)
    assert joined < isolated * 0.9, (joined, isolated)
    # Joined letters drawn as one word differ from the same letters drawn one by one.
    together = Image.new("L", (600, 200))
    ImageDraw.Draw(together).text((20, 20), word, font=font, fill=255)
    apart = Image.new("L", (600, 200))
    x = 20.0
    for letter in reversed(word):
        ImageDraw.Draw(apart).text((x, 20), letter, font=font, fill=255)
        x += font.getlength(letter)
    assert np.asarray(together).astype(bool).sum() != np.asarray(apart).astype(bool).sum()


@pytest.mark.parametrize("language", ["ar", "he"])
def test_right_to_left_words_are_placed_and_highlighted_from_the_right(language: str) -> None:
    painter = CaptionPainter(GEOMETRY, language=language)
    phrase = first_phrase(SAMPLES[language])
    cues = highlighted_cues(painter, phrase)
    centres = [float(yellow_columns(cue.image).mean()) for cue in cues]  # type: ignore[arg-type]
    layout = painter.layout(phrase)
    for line in layout.lines:  # within a line, each later word sits left of the one before
        line_centres = [centres[i] for i in line]
        assert line_centres == sorted(line_centres, reverse=True), line_centres
    first, second = (yellow_columns(cue.image) for cue in cues[:2])  # type: ignore[arg-type]
    if layout.lines[0][:2] == (0, 1):  # on one line the two highlight boxes do not overlap
        assert first.min() > second.max()


def test_a_chinese_sentence_heard_as_one_word_is_wrapped_in_pieces_without_spaces() -> None:
    text = "千里之行，始于足下。学而不思则罔，思而不学则殆。"
    phrases = plan_captions([WordTiming(text, 0.0, 6.0)], 6.5)
    assert len(phrases) >= 3
    assert "".join(join_words(p.texts) for p in phrases) == text
    painter = CaptionPainter(GEOMETRY, language="zh")
    for phrase in phrases:
        layout = painter.layout(phrase)
        assert layout.font_size >= GEOMETRY.min_font_size
        assert len(layout.lines) <= GEOMETRY.max_lines


def test_a_japanese_caption_survives_a_full_render(tmp_path: Path) -> None:
    aspect = ASPECTS[0]
    speech = FakeSpeechEngine().synthesize("継続は力なり。 千里の道も一歩から。", tmp_path)
    duration = speech.duration + 0.3
    phrases = plan_captions(speech.words, duration)
    composition = Composition(
        speech=speech,
        visuals=dark_visuals(tmp_path, aspect, duration),
        captions=phrases,
        aspect=aspect,
        duration=duration,
        output_path=tmp_path / "ja.mp4",
        thumbnail_path=tmp_path / "ja.jpg",
    )
    PyAVCompositor(ProviderConfig()).compose(composition)
    assert probe(composition.output_path).frames == round(duration * 30)
    middle = round((phrases[0].start + phrases[0].end) / 2 * 30)
    frame = frames_rgb(composition.output_path, {middle})[middle]
    assert int((frame.min(axis=2) > 200).sum()) > 2000, "no caption text in the frame"


def test_contact_sheet_of_every_script() -> None:
    """Draw each sample's first phrase, second word highlighted; write the sheet if asked to."""
    strips = []
    for language, text in SAMPLES.items():
        painter = CaptionPainter(GEOMETRY, language=language)
        cues = highlighted_cues(painter, first_phrase(text))
        strip = cues[min(1, len(cues) - 1)].image
        assert strip is not None and yellow_columns(strip).size > 0
        strips.append((language, strip))
    width = GEOMETRY.frame_width
    sheet = Image.new("RGBA", (width, sum(s.height for _, s in strips)), (40, 60, 90, 255))
    top = 0
    for language, strip in strips:
        sheet.alpha_composite(strip, (0, top))
        ImageDraw.Draw(sheet).text((8, top + 4), language, fill=(255, 255, 255, 255), font_size=28)
        top += strip.height
    target = os.environ.get("OASIS_CAPTION_SHEET")
    if target:
        sheet.convert("RGB").save(target)


def test_the_font_settings_come_before_lato_and_a_bad_one_is_named(tmp_path: Path) -> None:
    serif = next(p for p in system_font_files() if p.name == "NotoSerif-Bold.ttf")
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / serif.name).write_bytes(serif.read_bytes())
    extra = f"{tmp_path / 'nowhere-empty'}{os.pathsep}{tmp_path / 'fonts'}"
    (tmp_path / "nowhere-empty").mkdir()
    with pytest.raises(InvalidInput) as error:  # a folder without fonts is a mistake worth naming
        CaptionPainter(GEOMETRY, fonts=extra).chooser()
    assert error.value.field == "fonts" and "nowhere-empty" in str(error.value)
    painter = CaptionPainter(GEOMETRY, fonts=str(tmp_path / "fonts"))
    assert painter.chooser().face_for("Hello") == FontFace(str(tmp_path / "fonts" / serif.name))
    assert painter.chooser().face_for("你好") != FontFace(str(tmp_path / "fonts" / serif.name))
    with pytest.raises(InvalidInput) as error:
        CaptionPainter(GEOMETRY, font_path=str(tmp_path / "missing.ttf")).chooser()
    assert error.value.field == "font"
