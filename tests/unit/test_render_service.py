"""The render and content use cases, driven with the fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oasis_core import InvalidInput, ProviderError, RenderStage
from oasis_core.domain.catalogue import Category, get_category
from oasis_core.domain.media import Speech
from oasis_core.services import (
    RenderProviders,
    RenderRequest,
    generate_quote,
    generate_visual_prompt,
    render_video,
    split_sentences,
    store_video,
)
from oasis_core.testing import (
    FakeBlobStore,
    FakeCompositor,
    FakeLanguageModel,
    FakeSpeechEngine,
    FakeVisualSource,
)


@pytest.fixture
def providers() -> RenderProviders:
    return RenderProviders(FakeSpeechEngine(), FakeVisualSource(), FakeCompositor())


def request(**changes: object) -> RenderRequest:
    fields: dict[str, object] = {
        "text": "Fall seven times. Stand up eight.",
        "visual_prompt": "a lighthouse in a storm",
        "style": "cinematic",
    }
    fields.update(changes)
    return RenderRequest(**fields)  # type: ignore[arg-type]


def test_render_reports_stages_in_order_and_writes_the_files(
    providers: RenderProviders, tmp_path: Path
) -> None:
    seen: list[tuple[RenderStage, float]] = []
    outcome = render_video(
        request(),
        providers,
        output_path=tmp_path / "v.mp4",
        workdir=tmp_path,
        on_progress=lambda s, f: seen.append((s, f)),
    )
    stages = [stage for stage, _ in seen]
    assert stages[:3] == [RenderStage.SPEECH, RenderStage.VISUALS, RenderStage.COMPOSE]
    assert all(stage is RenderStage.COMPOSE for stage in stages[3:]) and seen[-1][1] == 1.0
    assert outcome.video.path == tmp_path / "v.mp4" and outcome.video.path.is_file()
    assert outcome.video.thumbnail_path == tmp_path / "v.jpg" and outcome.video.thumbnail_path.is_file()
    described = json.loads(outcome.video.path.read_text())
    assert described["phrases"] == [["Fall", "seven", "times."], ["Stand", "up", "eight."]]
    assert outcome.usage == {"fake-speech": {"characters": 33}, "fake-visuals": {"images": 1}}


def test_the_video_lasts_the_speech_plus_a_tail(providers: RenderProviders, tmp_path: Path) -> None:
    long_text = " ".join(["step"] * 20)  # 6.1 s of fake speech: over the 5 s minimum
    outcome = render_video(
        request(text=long_text), providers, output_path=tmp_path / "v.mp4", workdir=tmp_path
    )
    composition = providers.compositor.compositions[0]  # type: ignore[attr-defined]
    assert composition.duration == pytest.approx(composition.speech.duration + 1.2)
    assert outcome.video.duration == composition.duration


def test_visual_sources_get_the_script_split_into_sentences(
    providers: RenderProviders, tmp_path: Path
) -> None:
    render_video(request(), providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    assert split_sentences("Fall seven times. Stand up eight!  Why?") == (
        "Fall seven times.",
        "Stand up eight!",
        "Why?",
    )


class BrokenCompositor(FakeCompositor):
    def compose(self, composition, on_progress=None):  # type: ignore[no-untyped-def]
        composition.output_path.write_bytes(b"half a video")
        raise ProviderError("encoder crashed")


def test_a_failed_render_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), BrokenCompositor())
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ProviderError):
        render_video(request(), broken, output_path=out / "v.mp4", workdir=tmp_path)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"style": "sepia"}, "style"),
        ({"aspect": "4:3"}, "aspect"),
        ({"rate": 3.0}, "rate"),
        ({"music_path": Path("/no/such/song.mp3")}, "music"),
    ],
)
def test_bad_requests_are_refused_before_any_work(
    providers: RenderProviders, tmp_path: Path, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        render_video(request(**changes), providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    assert info.value.field == field
    assert providers.speech.spoken == []  # type: ignore[attr-defined]


def test_empty_or_overlong_text_cannot_make_a_request() -> None:
    with pytest.raises(InvalidInput):
        request(text="   ")
    with pytest.raises(InvalidInput):
        request(text="x" * 1001)


@pytest.mark.parametrize("name", ["v.mov", "missing-dir/v.mp4"])
def test_unwritable_outputs_are_refused(providers: RenderProviders, tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidInput, match=r"output|folder"):
        render_video(request(), providers, output_path=tmp_path / name, workdir=tmp_path)


def test_store_video_puts_both_files_under_the_prefix(providers: RenderProviders, tmp_path: Path) -> None:
    outcome = render_video(request(), providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    store = FakeBlobStore()
    stages: list[RenderStage] = []
    stored = store_video(store, outcome.video, "videos/abc", lambda s, f: stages.append(s))
    assert stored.video_key == "videos/abc/video.mp4" and stored.thumbnail_key == "videos/abc/thumbnail.jpg"
    assert store.objects[stored.video_key] == outcome.video.path.read_bytes()
    assert set(stages) == {RenderStage.UPLOAD}


def test_generate_quote_avoids_recent_ones_and_validates_the_category() -> None:
    llm = FakeLanguageModel()
    first = generate_quote(llm, "stoicism")
    second = generate_quote(llm, "stoicism", avoid=[first.text])
    assert first.text != second.text
    with pytest.raises(InvalidInput, match="choose from"):
        generate_quote(llm, "astrology")


class MuteLanguageModel(FakeLanguageModel):
    def write_quote(self, category, *, avoid=()):  # type: ignore[no-untyped-def]
        from oasis_core import Quote

        return Quote("   ")

    def write_visual_prompt(self, text, category, style):  # type: ignore[no-untyped-def]
        return "\n"


def test_a_model_that_answers_nothing_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="no usable quote"):
        generate_quote(MuteLanguageModel(), "hope")
    with pytest.raises(ProviderError, match="empty visual prompt"):
        generate_visual_prompt(MuteLanguageModel(), "Hope is a thing with feathers.", "hope", "dreamy")


def test_generate_visual_prompt_passes_mood_and_style() -> None:
    llm = FakeLanguageModel()
    prompt = generate_visual_prompt(llm, "  Keep   going. ", "motivation", "neon")
    assert prompt.startswith("Keep going.") and "energetic" in prompt and "neon glow" in prompt


class _MoodyEngine(FakeSpeechEngine):
    """A fake engine that takes the category, as the OpenAI engine does."""

    takes_category = True

    def __init__(self) -> None:
        super().__init__()
        self.categories: list[object] = []

    def synthesize(
        self,
        text: str,
        out_dir: Path,
        *,
        voice: str | None = None,
        rate: float = 1.0,
        category: Category | None = None,
    ) -> Speech:
        self.categories.append(category)
        return super().synthesize(text, out_dir, voice=voice, rate=rate)


def test_the_category_reaches_only_engines_that_take_it(tmp_path: Path) -> None:
    moody = _MoodyEngine()
    render_video(
        request(category="hope"),
        RenderProviders(moody, FakeVisualSource(), FakeCompositor()),
        output_path=tmp_path / "a.mp4",
        workdir=tmp_path,
    )
    assert moody.categories == [get_category("hope")]
    plain = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), FakeCompositor())
    render_video(request(category="hope"), plain, output_path=tmp_path / "b.mp4", workdir=tmp_path)
    with pytest.raises(InvalidInput, match="category"):
        render_video(request(category="gloom"), plain, output_path=tmp_path / "c.mp4", workdir=tmp_path)
