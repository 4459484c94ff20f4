"""A one-word quote becomes a 5 s video ending on its author, with a thumbnail that shows the quote.

Rendered for real with the PyAV compositor through the render service, then
decoded back: the end card must be in the picture, not just in the plan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageOps
from tests.media_checks import frames_rgb, probe

from oasis_core import ASPECTS, Aspect, Composition, ProviderConfig
from oasis_core.domain.catalogue import get_style
from oasis_core.services import RenderProviders, RenderRequest, render_video
from oasis_core.services.captions import caption_geometry
from oasis_core.services.ending import MIN_SECONDS
from oasis_core.testing import FakeSpeechEngine, FakeVisualSource
from oasis_plugins.pyav import PyAVCompositor
from oasis_plugins.pyav.title_cards import (
    END_CARD_FADE,
    THUMBNAIL_CHARACTERS,
    THUMBNAIL_WORDS,
    TitleCards,
    thumbnail_text,
)

pytestmark = pytest.mark.slow
FPS = 30


def bright(pixels: np.ndarray) -> int:
    """Near-white pixels: the cards' text (the backgrounds are darker gradients)."""
    return int((pixels.min(axis=-1) > 215).sum())


@pytest.fixture(scope="module")
def one_word(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Composition]:
    """``Courage.`` by Epictetus, rendered once for the tests below."""
    folder = tmp_path_factory.mktemp("one-word")
    compositor = PyAVCompositor(ProviderConfig())
    seen: list[Composition] = []

    class Recording(PyAVCompositor):
        def compose(self, composition, on_progress=None):  # type: ignore[no-untyped-def]
            seen.append(composition)
            return compositor.compose(composition, on_progress)

    request = RenderRequest(
        text="Courage.", visual_prompt="a dark sea", style="minimal", aspect="1:1", attribution="Epictetus"
    )
    providers = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), Recording(ProviderConfig()))
    outcome = render_video(request, providers, output_path=folder / "courage.mp4", workdir=folder)
    return outcome.video.path, seen[0]


def test_a_one_word_quote_lasts_five_seconds(one_word: tuple[Path, Composition]) -> None:
    video, composition = one_word
    info = probe(video)
    assert composition.speech.duration < 1.0
    assert info.video_seconds >= MIN_SECONDS - 1 / FPS
    assert info.audio_seconds >= MIN_SECONDS - 0.05


def test_the_end_card_names_the_author_after_the_last_word(one_word: tuple[Path, Composition]) -> None:
    video, composition = one_word
    assert composition.end_card is not None
    geometry = caption_geometry(composition.aspect)
    band = slice(geometry.center_y - geometry.font_size, geometry.center_y + geometry.font_size)
    start = round(composition.end_card.start * FPS)
    shown = round((composition.end_card.start + END_CARD_FADE) * FPS) + 2
    last = round(composition.duration * FPS) - 1
    frames = frames_rgb(video, {start - 1, shown, last})
    before, during, end = (frames[i][band] for i in (start - 1, shown, last))
    assert bright(before) == 0, "the caption and the card overlap"
    assert bright(during) > 400, "no end card in the caption band"
    assert bright(end) > 400, "the end card is gone before the video ends"
    assert np.abs(during.astype(int) - before.astype(int)).mean() > 2


def test_the_thumbnail_shows_the_quote_and_its_author(one_word: tuple[Path, Composition]) -> None:
    video, composition = one_word
    aspect = composition.aspect
    with Image.open(video.with_suffix(".jpg")) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (aspect.width, aspect.height)
        pixels = np.asarray(thumb.convert("RGB"))
    with Image.open(composition.visuals.scenes[0].image_path) as scene:
        plain = np.asarray(ImageOps.fit(scene.convert("RGB"), thumb.size))
    band = slice(aspect.height // 3, 2 * aspect.height // 3)
    assert bright(pixels[band]) > 2000, "no large text in the middle of the thumbnail"
    assert bright(plain[band]) == 0
    assert np.abs(pixels[band].astype(int) - plain[band].astype(int)).mean() > 10


def test_a_long_script_puts_its_first_sentence_on_the_thumbnail() -> None:
    hook = "The obstacle is the way."
    rest = " ".join(["What stands in the way becomes the way, and we go on walking."] * 4)
    assert thumbnail_text(f"{hook} {rest}") == hook
    assert thumbnail_text("Be here now.") == "Be here now."
    endless = " ".join(["word"] * 80)
    assert thumbnail_text(endless).endswith("…") and len(thumbnail_text(endless).split()) == 30


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_long_quotes_fit_the_thumbnail(tmp_path: Path, aspect: Aspect) -> None:
    script = "Never let the future disturb you, for you will meet it with the same weapons of reason. " * 2
    visuals = FakeVisualSource().create("calm", get_style("minimal"), aspect, 5.0, tmp_path)
    path = tmp_path / "thumb.jpg"
    TitleCards(aspect, None, None).thumbnail(visuals.scenes[0].image_path, script, "— Marcus Aurelius", path)
    with Image.open(path) as thumb:
        assert thumb.size == (aspect.width, aspect.height)
        pixels = np.asarray(thumb.convert("RGB"))
    margin = min(aspect.width, aspect.height) // 25
    edges = [pixels[:margin], pixels[-margin:], pixels[:, :margin], pixels[:, -margin:]]
    assert all(bright(edge) == 0 for edge in edges), "the text runs off the thumbnail"
    assert bright(pixels) > 3000


@given(
    sentences=st.lists(
        st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=9), min_size=1, max_size=25),
        min_size=1,
        max_size=6,
    )
)
def test_the_thumbnail_text_is_the_script_or_its_opening(sentences: list[list[str]]) -> None:
    script = " ".join(" ".join(words) + "." for words in sentences)
    shown = thumbnail_text(script)
    assert shown and len(shown.split()) <= THUMBNAIL_WORDS
    opening = shown.removesuffix("…")
    assert script.startswith(opening)
    if len(script) <= THUMBNAIL_CHARACTERS and len(script.split()) <= THUMBNAIL_WORDS:
        assert shown == script
