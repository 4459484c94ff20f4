"""The SDK front door, wired to the fakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from oasis_core import InvalidInput, NeedsCredentials, PortKind, RenderStage, Studio, UnknownProvider
from oasis_core.testing import FakeLanguageModel, fake_catalog


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return Studio(fake_catalog(), data_dir=tmp_path / "data", environ={})


def test_render_returns_the_file_and_what_it_holds(studio: Studio, tmp_path: Path) -> None:
    progress: list[tuple[RenderStage, int]] = []
    result = studio.render(
        category="courage",
        style="neon",
        output=tmp_path / "x.mp4",
        on_progress=lambda s, p: progress.append((s, p)),
    )
    assert result.path == tmp_path / "x.mp4" and result.path.is_file()
    assert result.thumbnail.is_file() and result.size_bytes == result.path.stat().st_size
    assert result.text == "Fake courage quote number 1." and result.author == "Fake Author"
    assert "fearless" in result.visual_prompt and (result.width, result.height) == (1080, 1920)
    percents = [p for _, p in progress]
    assert percents == sorted(percents) and percents[-1] == 100 and progress[-1][0] is RenderStage.DONE


def test_your_own_quote_and_prompt_are_used_as_given(studio: Studio, tmp_path: Path) -> None:
    result = studio.render(
        quote="  My own   words. ", visual_prompt="a red kite", aspect="1:1", output=tmp_path / "o.mp4"
    )
    assert result.text == "My own words." and result.visual_prompt == "a red kite"
    assert json.loads(result.path.read_text())["aspect"] == "1:1"


def test_quotes_are_not_repeated_across_studios_sharing_a_data_folder(tmp_path: Path) -> None:
    texts = [Studio(fake_catalog(), data_dir=tmp_path, environ={}).quote("love").text for _ in range(3)]
    assert len(set(texts)) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"category": "astrology"}, "choose from: motivation"),
        ({"style": "sepia"}, "choose from: cinematic"),
        ({"aspect": "4:3"}, "choose from: 9:16"),
        ({"voice": "robot"}, "choose from: fake-a, fake-b"),
        ({"providers": {"speech": "nope"}}, "choose from: fake-speech"),
        ({"providers": {"video": "x"}}, "Unknown provider kind"),
        ({"quote": ""}, "empty"),
        ({"quote": "x" * 2000}, "limit"),
    ],
)
def test_bad_choices_fail_before_any_work(studio: Studio, tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises((InvalidInput, UnknownProvider), match=message):
        studio.render(output=tmp_path / "x.mp4", **kwargs)
    assert not (tmp_path / "x.mp4").exists()


class KeyedLanguageModel(FakeLanguageModel):
    id: ClassVar[str] = "keyed"
    needs_key: ClassVar[str | None] = "acme"
    key_env_var: ClassVar[str | None] = "ACME_API_KEY"


def test_keys_come_from_the_studio_then_the_environment(tmp_path: Path) -> None:
    catalog = fake_catalog()
    catalog.add(PortKind.LLM, KeyedLanguageModel)
    with pytest.raises(NeedsCredentials, match="ACME_API_KEY"):
        Studio(catalog, data_dir=tmp_path, environ={}).provider(PortKind.LLM, "keyed")
    from_env = Studio(catalog, data_dir=tmp_path, environ={"ACME_API_KEY": "env-key"}).provider(
        PortKind.LLM, "keyed"
    )
    assert from_env.config.key == "env-key"
    given = Studio(catalog, data_dir=tmp_path, keys={"acme": "own"}, environ={"ACME_API_KEY": "env"})
    assert given.provider(PortKind.LLM, "keyed").config.key == "own"


def test_the_data_folder_defaults_to_oasis_data_dir(tmp_path: Path) -> None:
    studio = Studio(fake_catalog(), environ={"OASIS_DATA_DIR": str(tmp_path / "d")})
    assert studio.data_dir == tmp_path / "d"
    storage = studio.config_for(PortKind.STORAGE, "fake-storage")
    assert storage.settings["root"] == str(tmp_path / "d" / "media")
