"""Caption timing and layout: the properties every video relies on."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_core.domain.media import ASPECTS, WordTiming
from oasis_core.services.captions import caption_geometry, layout_caption, plan_captions

word_text = (
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x24F), min_size=1, max_size=14)
    .map(lambda w: w.replace(" ", ""))
    .filter(bool)
)


@st.composite
def timed_words(draw: st.DrawFn) -> tuple[list[WordTiming], float]:
    texts = draw(st.lists(word_text, min_size=1, max_size=60))
    words, clock = [], draw(st.floats(0, 2))
    for text in texts:
        clock += draw(st.floats(0, 0.8))  # a gap, possibly none
        length = draw(st.floats(0, 0.9))
        words.append(WordTiming(text, clock, clock + length))
        clock += length
    duration = clock + draw(st.floats(0, 3))
    return words, duration


@settings(max_examples=300, deadline=None)
@given(timed_words())
def test_phrases_cover_every_word_in_order_without_overlap(case: tuple[list[WordTiming], float]) -> None:
    words, duration = case
    phrases = plan_captions(words, duration)
    assert [w for p in phrases for w in p.words] == words
    for phrase in phrases:
        assert 0 <= phrase.start <= phrase.end <= duration + 1e-9
        assert phrase.words
        # longer than four words only where words are heard at the same instant (never split those)
        for index in range(4, len(phrase.words)):
            assert phrase.words[index].start <= phrase.words[index - 1].start
    for before, after in itertools.pairwise(phrases):
        assert before.end <= after.start + 1e-9


@settings(max_examples=300, deadline=None)
@given(timed_words())
def test_every_word_is_on_screen_while_it_is_spoken(case: tuple[list[WordTiming], float]) -> None:
    words, duration = case
    for phrase in plan_captions(words, duration):
        segments = phrase.segments()
        assert [s.active for s in segments] == list(range(len(phrase.words)))
        assert segments[0].start == phrase.start and segments[-1].end == phrase.end
        for before, after in itertools.pairwise(segments):
            assert before.end == after.start and before.start <= before.end
        for segment, word in zip(segments, phrase.words, strict=True):
            # a word is highlighted from the moment it is heard (or the phrase shows)
            assert segment.start == max(phrase.start, min(word.start, segment.end))


def test_a_phrase_is_visible_for_positive_time_when_words_have_distinct_starts() -> None:
    words = [
        WordTiming(w, i * 0.4, i * 0.4 + 0.3)
        for i, w in enumerate(["one", "two", "three", "four", "five", "six"])
    ]
    phrases = plan_captions(words, 3.0)
    assert all(p.end > p.start for p in phrases)
    assert [p.texts for p in phrases] == [("one", "two", "three", "four"), ("five", "six")]


def test_sentences_and_pauses_start_new_phrases() -> None:
    words = [
        WordTiming("Rise.", 0.0, 0.4),
        WordTiming("Then", 0.5, 0.7),
        WordTiming("wait", 0.8, 1.0),
        WordTiming("patiently", 2.0, 2.5),
    ]
    assert [p.texts for p in plan_captions(words, 3.0)] == [("Rise.",), ("Then", "wait"), ("patiently",)]


def test_a_phrase_lingers_briefly_but_never_past_the_video() -> None:
    words = [WordTiming("Done.", 0.0, 0.5)]
    assert plan_captions(words, 10.0)[0].end == pytest.approx(1.0)
    assert plan_captions(words, 0.7)[0].end == pytest.approx(0.7)


def proportional(factor: float):  # type: ignore[no-untyped-def]
    return lambda text, size: len(text) * size * factor


@settings(max_examples=400, deadline=None)
@given(
    st.lists(word_text, min_size=1, max_size=4),
    st.sampled_from(ASPECTS),
    st.floats(0.35, 1.6),
)
def test_every_line_fits_the_frame_at_every_aspect(words: list[str], aspect, factor: float) -> None:  # type: ignore[no-untyped-def]
    geometry = caption_geometry(aspect)
    measure = proportional(factor)
    layout = layout_caption(words, measure, geometry)
    assert sorted(i for line in layout.lines for i in line) == list(range(len(words)))
    for line in layout.lines:
        assert list(line) == sorted(line)
        assert measure(" ".join(words[i] for i in line), layout.font_size) <= geometry.max_width
    top = geometry.center_y - layout.height / 2
    assert geometry.margin <= top and top + layout.height <= aspect.height - geometry.margin
    assert (aspect.width - geometry.max_width) / 2 >= geometry.margin


def test_a_very_long_word_shrinks_the_font_until_it_fits() -> None:
    geometry = caption_geometry(ASPECTS[0])
    measure = proportional(0.6)
    layout = layout_caption(["Pneumonoultramicroscopicsilicovolcanoconiosis"], measure, geometry)
    assert layout.font_size < geometry.min_font_size
    assert measure("Pneumonoultramicroscopicsilicovolcanoconiosis", layout.font_size) <= geometry.max_width


def test_short_phrases_keep_the_full_size_on_one_line() -> None:
    geometry = caption_geometry(ASPECTS[0])
    layout = layout_caption(["Keep", "going"], proportional(0.55), geometry)
    assert layout.font_size == geometry.font_size and layout.lines == ((0, 1),)
