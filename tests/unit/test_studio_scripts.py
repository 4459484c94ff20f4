"""The SDK's scripts: ``Studio.script`` and ``Studio.render(topic=..., length=...)``, wired to the fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oasis_core import InvalidInput, Studio
from oasis_core.domain.script import WORDS_PER_SECOND
from oasis_core.testing import fake_catalog
from oasis_core.testing.fakes import WORD_SECONDS


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return Studio(fake_catalog(), data_dir=tmp_path / "data", environ={})


def test_a_script_is_written_in_the_category_and_language_asked(studio: Studio) -> None:
    script = studio.script("why sleep matters", category="hope", length=20, language="fr")
    assert script.topic == "why sleep matters" and script.language == "fr"
    assert len(script.content.split()) == 20 * WORDS_PER_SECOND
    assert len(script.scenes) >= 2


def test_a_topic_renders_scene_by_scene(studio: Studio, tmp_path: Path) -> None:
    result = studio.render(topic="why sleep matters", length=24, style="nature", output=tmp_path / "t.mp4")
    assert result.scenes and result.text == " ".join(scene.text for scene in result.scenes)
    assert result.author is None  # no end card: the script is nobody's quote
    described = json.loads(result.path.read_text())
    words_before = 0
    expected = []
    for scene in result.scenes:
        expected.append(words_before * WORD_SECONDS)
        words_before += len(scene.text.split())
    assert [start for start, _ in described["scenes"]] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"topic": "sleep", "length": 10}, "length"),
        ({"topic": "  ", "length": 30}, "topic"),
        ({"topic": "sleep", "quote": "Mine."}, "topic"),
        ({"topic": "sleep", "category": "astrology"}, "category"),
    ],
)
def test_a_bad_topic_render_is_refused_before_any_work(
    studio: Studio, tmp_path: Path, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        studio.plan(output=tmp_path / "x.mp4", **kwargs)  # type: ignore[arg-type]
    assert error.value.field == field
