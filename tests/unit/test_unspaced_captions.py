"""Captions for scripts written without spaces: runs cut into pieces, joined without spaces, wide characters."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core.domain.media import WordTiming
from oasis_core.services.captions import (
    display_width,
    is_unspaced,
    join_words,
    plan_captions,
    split_unspaced,
    word_gap,
)
from oasis_plugins.espeak.alignment import align_words
from oasis_plugins.espeak.library import WordEvent

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
KANA = st.characters(min_codepoint=0x3041, max_codepoint=0x30FA)
PUNCTUATION = st.sampled_from(list("，。、！？「」"))
LATIN = st.sampled_from(list("abcXYZ019"))
UNSPACED_TEXT = st.text(st.one_of(HAN, KANA, PUNCTUATION, LATIN), min_size=1, max_size=60).filter(
    lambda text: not text.isspace()
)


def test_which_characters_are_unspaced_and_wide() -> None:
    assert all(is_unspaced(char) for char in "中かカ。，")
    assert not any(is_unspaced(char) for char in "a 한Ж1")
    assert display_width("ab中文") == 6
    assert display_width("한국") == 4  # Hangul is wide, though Korean is written with spaces
    assert word_gap("中", "文") == "" and word_gap("中", "a") == " " and word_gap("천", "리") == " "
    assert join_words(["千里", "之行，", "and", "more", "始于"]) == "千里之行， and more 始于"


def test_a_sentence_is_cut_after_punctuation_and_into_short_pieces() -> None:
    word = WordTiming("千里之行，始于足下。学而不思则罔。", 1.0, 5.0)
    pieces = split_unspaced(word)
    assert [p.text for p in pieces] == ["千里", "之行，", "始于", "足下。", "学而不", "思则罔。"]
    assert pieces[0].start == 1.0 and pieces[-1].end == 5.0
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))


def test_latin_words_and_short_runs_are_left_whole() -> None:
    for text in ("hello", "internationalisation", "千里", "天下。", "a中"):
        word = WordTiming(text, 0.0, 1.0)
        assert split_unspaced(word) == (word,)


@given(UNSPACED_TEXT, st.floats(0, 100), st.floats(0, 20))
def test_pieces_rebuild_the_word_and_share_its_time(text: str, start: float, length: float) -> None:
    word = WordTiming(text, start, start + length)
    pieces = split_unspaced(word, max_piece=4)
    assert "".join(p.text for p in pieces) == text
    assert join_words([p.text for p in pieces]) == text  # cuts only fall between unspaced characters
    assert pieces[0].start == word.start and pieces[-1].end == word.end
    for a, b in itertools.pairwise(pieces):
        assert a.start <= a.end == b.start <= b.end
        assert is_unspaced(a.text[-1]) and is_unspaced(b.text[0])


@given(UNSPACED_TEXT)
def test_phrases_never_pass_the_width_unless_one_piece_does(text: str) -> None:
    phrases = plan_captions([WordTiming(text, 0.0, 10.0)], 11.0, max_chars=16)
    assert "".join(join_words(p.texts) for p in phrases) == text
    for phrase in phrases:
        assert len(phrase.words) == 1 or display_width(join_words(phrase.texts)) <= 16


def test_max_chars_counts_cjk_characters_as_two() -> None:
    words = [WordTiming(text, i, i + 0.9) for i, text in enumerate(["中文字", "中文字", "中文字", "ab"])]
    phrases = plan_captions(words, 5.0, max_chars=12, max_words=10, pause=10)
    assert [p.texts for p in phrases] == [("中文字", "中文字"), ("中文字", "ab")]


def test_chinese_sentence_and_clause_ends_end_a_phrase() -> None:
    words = [WordTiming(text, i, i + 0.9) for i, text in enumerate(["你好。", "世界", "再见，", "朋友"])]
    assert [p.texts for p in plan_captions(words, 5.0, pause=10)] == [
        ("你好。",),
        ("世界", "再见，"),
        ("朋友",),
    ]


def test_espeak_events_inside_a_chinese_run_cut_it_into_words() -> None:
    text = "千里之行，始于 足下 ok"
    # espeak-ng's word events for Mandarin point at each word inside the run (0-based offsets).
    events = [WordEvent(0, 2, 0), WordEvent(2, 1, 500), WordEvent(5, 2, 1000), WordEvent(8, 2, 1500)]
    words = align_words(text, events, 1000, speech_end=2.5, duration=3.0)
    assert [w.text for w in words] == ["千里", "之行，", "始于", "足下", "ok"]
    assert [w.start for w in words[:4]] == [0.0, 0.5, 1.0, 1.5]


@pytest.mark.parametrize("position", [1, 10])
def test_events_between_latin_letters_or_at_spaces_do_not_cut(position: int) -> None:
    text = "abc 中文 def"
    events = [WordEvent(0, 3, 0), WordEvent(position, 1, 300)]
    words = align_words(text, events, 1000, speech_end=1.0, duration=1.0)
    assert [w.text for w in words] == text.split()
