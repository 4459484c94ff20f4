"""Scripts: the domain's rules, writing one through the port, and cutting scenes at their first words."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_core.domain.catalogue import get_style
from oasis_core.domain.media import WordTiming, get_aspect
from oasis_core.domain.script import (
    MAX_SCENE_TEXT,
    MAX_SCENES,
    MAX_SEARCH_TERMS,
    Script,
    ScriptScene,
    script_length,
    validate_topic,
)
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.services.render import RenderRequest
from oasis_core.services.scene_cuts import (
    MIN_SHOT_SECONDS,
    create_scene_visuals,
    plan_scene_captions,
    plan_shots,
    scene_starts,
    scene_word_ranges,
)
from oasis_core.services.scripts import generate_script
from oasis_core.testing.fakes import FakeLanguageModel, FakeVisualSource

# -- the domain -------------------------------------------------------------------------------------


def test_a_script_is_its_scenes_narration_joined() -> None:
    script = Script(
        (ScriptScene("  First   words. ", "a lake"), ScriptScene("Then more.", "", ["sky", " sky ", ""]))
    )
    assert script.content == "First words. Then more."
    assert script.scenes[1].search_terms == ("sky",)
    assert script.seconds == pytest.approx(4 / 2.5)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Script(()), "scenes"),
        (lambda: Script(tuple(ScriptScene("Word.") for _ in range(MAX_SCENES + 1))), "scenes"),
        (lambda: ScriptScene("   "), "text"),
        (lambda: ScriptScene("x" * (MAX_SCENE_TEXT + 1)), "text"),
        (lambda: ScriptScene("Hi.", "", [f"t{n}" for n in range(MAX_SEARCH_TERMS + 1)]), "search_terms"),
        (lambda: ScriptScene("Hi.", "", ["x" * 61]), "search_terms"),
        (lambda: Script(tuple(ScriptScene("y" * 400) for _ in range(7))), "scenes"),
        (lambda: script_length(14.9), "length"),
        (lambda: script_length(91), "length"),
        (lambda: validate_topic(" "), "topic"),
        (lambda: validate_topic("t" * 201), "topic"),
    ],
)
def test_invalid_scripts_are_refused_naming_the_field(make: object, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        make()  # type: ignore[operator]
    assert error.value.field == field


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=MAX_SCENE_TEXT + 20)


@given(st.lists(_texts, max_size=MAX_SCENES + 2))
def test_a_script_either_keeps_the_rules_or_is_refused(texts: list[str]) -> None:
    try:
        script = Script(tuple(ScriptScene(text) for text in texts))
    except InvalidInput as error:
        assert error.field in ("scenes", "text")
        return
    assert 1 <= len(script.scenes) <= MAX_SCENES
    for scene in script.scenes:
        assert scene.text == " ".join(scene.text.split()) and 0 < len(scene.text) <= MAX_SCENE_TEXT


# -- writing one ------------------------------------------------------------------------------------


def test_generate_script_checks_its_inputs_before_the_model_is_asked() -> None:
    llm = FakeLanguageModel()
    for kwargs, field in (
        ({"length": 10}, "length"),
        ({"length": 30, "category_id": "astrology"}, "category"),
        ({"length": 30, "language": "!!"}, "language"),
    ):
        with pytest.raises(InvalidInput) as error:
            generate_script(llm, "why sleep matters", **kwargs)  # type: ignore[arg-type]
        assert error.value.field == field
    assert llm.scripts == []
    script = generate_script(llm, " why  sleep matters ", category_id="hope", length=30.4, language="en-GB")
    assert llm.scripts == [("why sleep matters", "hope", 30, "en-GB")]
    assert len(script.scenes) >= 2


def test_a_model_without_scripts_is_refused_clearly() -> None:
    class QuotesOnly:
        id = "quotes-only"

        def write_quote(self, category: object, *, avoid: object = ()) -> object:
            raise AssertionError("not asked")

        def write_visual_prompt(self, text: str, category: object, style: object) -> str:
            raise AssertionError("not asked")

    with pytest.raises(InvalidInput, match="cannot write scripts") as error:
        generate_script(QuotesOnly(), "sleep", length=30)  # type: ignore[arg-type]
    assert error.value.field == "providers"


def test_a_model_that_breaks_the_script_rules_is_a_provider_error() -> None:
    class Careless(FakeLanguageModel):
        def write_script(self, *args: object, **kwargs: object) -> Script:
            return Script((ScriptScene(""),))

    with pytest.raises(ProviderError, match="no usable script"):
        generate_script(Careless(), "sleep", length=30)


# -- scene cuts -------------------------------------------------------------------------------------


def _timed(texts: list[str], gaps: list[float]) -> list[WordTiming]:
    words, clock = [], 0.0
    for text, gap in zip(" ".join(texts).split(), gaps, strict=False):
        clock += gap
        words.append(WordTiming(text, clock, clock + 0.25))
        clock += 0.25
    return words


_scene_texts = st.lists(
    st.lists(
        st.sampled_from(["sleep", "matters.", "rest,", "the", "night", "dream"]), min_size=1, max_size=9
    ).map(" ".join),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150)
@given(_scene_texts, st.lists(st.floats(0.0, 1.5), min_size=80, max_size=80), st.integers(1, 6))
def test_scenes_start_at_their_first_word_and_no_caption_straddles_a_cut(
    texts: list[str], gaps: list[float], max_words: int
) -> None:
    words = _timed(texts, gaps)
    ranges = scene_word_ranges(texts, len(words))
    starts = scene_starts(words, texts)
    assert starts[0] == 0.0 and starts == sorted(starts)
    for (first, _), start in zip(ranges[1:], starts[1:], strict=True):
        assert start == words[first].start
    duration = words[-1].end + 1.2
    shots = plan_shots(starts, duration)
    assert shots[0][0] == 0.0 and shots[-1][1] == duration
    assert all(a[1] == b[0] for a, b in itertools.pairwise(shots))
    assert all(start in starts for start, _, _ in shots)
    assert all(end - start >= MIN_SHOT_SECONDS for start, end, _ in shots) or len(shots) == 1
    owner = {index: scene for scene, (a, b) in enumerate(ranges) for index in range(a, b)}
    captions = plan_scene_captions(words, texts, duration, max_words=max_words, max_chars=40)
    shown = [word for phrase in captions for word in phrase.words]
    assert [w.text for w in shown] == [w.text for w in words]
    for phrase in captions:
        scenes = {owner[words.index(word)] for word in phrase.words}
        assert len(scenes) == 1, "a caption shows words of one scene only"
        (scene,) = scenes
        if scene + 1 < len(texts):
            assert phrase.end <= starts[scene + 1] + 1e-9, "a caption leaves before the next scene starts"


def test_each_shot_gets_its_own_scenes_picture(tmp_path: Path) -> None:
    source = FakeVisualSource()
    scenes = (ScriptScene("One.", "a lake"), ScriptScene("Two.", ""), ScriptScene("Three.", "a hill"))
    visuals = create_scene_visuals(
        source,
        scenes,
        [(0.0, 2.0, 0), (2.0, 5.5, 1), (5.5, 8.0, 2)],
        fallback_prompt="the video's own",
        style=get_style("nature"),
        aspect=get_aspect("1:1"),
        workdir=tmp_path,
    )
    assert [(s.start, s.end) for s in visuals.scenes] == [(0.0, 2.0), (2.0, 5.5), (5.5, 8.0)]
    assert [prompt for prompt, _ in source.prompts] == ["a lake", "the video's own", "a hill"]
    assert visuals.usage == {"images": 3}


def test_a_render_request_with_scenes_speaks_their_joined_texts() -> None:
    scenes = (ScriptScene("One two.", "a"), ScriptScene("Three.", "b"))
    request = RenderRequest("One two. Three.", "p", "cinematic", scenes=scenes)
    assert request.scenes == scenes
    with pytest.raises(InvalidInput) as error:
        RenderRequest("Something else.", "p", "cinematic", scenes=scenes)
    assert error.value.field == "scenes"
    long_script = tuple(ScriptScene("word " * 80) for _ in range(4))
    assert RenderRequest(" ".join(s.text for s in long_script), "p", "cinematic", scenes=long_script)
    with pytest.raises(InvalidInput):  # a single text keeps the quote's limit
        RenderRequest("word " * 300, "p", "cinematic")
