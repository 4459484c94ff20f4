"""Piper's phoneme alignments → word timings: examples from a real chunk, and properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_plugins.piper.alignment import SpokenWord, align_words, spoken_words

RATE = 22050
# The first chunk Piper's joe voice speaks for "Hello there, world!" (phoneme, samples), as recorded.
HELLO = [
    ("^", 1024),
    ("h", 1024),
    ("ə", 1024),
    ("l", 768),
    ("ˈ", 1280),
    ("o", 1024),
    ("ʊ", 768),
    (" ", 1024),
    ("ð", 2304),
    ("ˈ", 2048),
    ("ɛ", 1536),
    ("ɹ", 1792),
    (",", 2816),
    (" ", 2816),
    ("w", 1536),
    ("ˈ", 1536),
    ("ɜ", 1536),
    ("ː", 1280),
    ("l", 1536),
    ("d", 768),
    ("!", 3072),
    ("$", 256),
]


def test_a_chunk_splits_into_spoken_words_at_the_boundaries() -> None:
    words = spoken_words(HELLO, offset=0.0, sample_rate=RATE)
    assert [w.phonemes for w in words] == ["həlˈoʊ", "ðˈɛɹ", "wˈɜːld"]
    assert words[0].start == pytest.approx(1024 / RATE)  # after the start marker
    assert words[0].end == pytest.approx(6912 / RATE)
    assert words[1].start == pytest.approx(7936 / RATE)  # after the boundary
    assert words[1].end == pytest.approx(15616 / RATE)  # the comma is not part of the word
    assert words[2].start == pytest.approx(21248 / RATE)
    assert words[2].end == pytest.approx(29440 / RATE)  # before the "!"


def test_a_later_chunk_is_shifted_by_its_offset() -> None:
    first = spoken_words(HELLO, offset=0.0, sample_rate=RATE)
    later = spoken_words(HELLO, offset=2.5, sample_rate=RATE)
    assert [w.start - 2.5 for w in later] == pytest.approx([w.start for w in first])


def test_punctuation_alone_is_not_a_spoken_word() -> None:
    words = spoken_words(
        [("^", 10), ("a", 10), (" ", 10), ("—", 10), (" ", 10), ("b", 10)], offset=0, sample_rate=10
    )
    assert [w.phonemes for w in words] == ["a", "b"]


def test_words_pair_one_to_one_and_keep_their_punctuation() -> None:
    spoken = spoken_words(HELLO, offset=0.0, sample_rate=RATE)
    timings = align_words("Hello there, world!", spoken, duration=32768 / RATE)
    assert [t.text for t in timings] == ["Hello", "there,", "world!"]
    assert [t.start for t in timings] == pytest.approx([w.start for w in spoken])
    assert [t.end for t in timings] == pytest.approx([w.end for w in spoken])


def test_counts_give_a_number_its_spoken_words() -> None:
    spoken = [SpokenWord("x", float(i), i + 0.8) for i in range(5)]  # it is nineteen ninety-nine
    timings = align_words("It is 1999!", spoken, duration=6.0, counts=[1, 1, 3])
    assert [(t.text, t.start) for t in timings] == [("It", 0.0), ("is", 1.0), ("1999!", 2.0)]
    assert timings[-1].end == pytest.approx(4.8)


def test_counts_that_do_not_add_up_fall_back_to_sharing_the_speech() -> None:
    spoken = [SpokenWord("x", float(i), i + 1.0) for i in range(4)]
    timings = align_words("one two three", spoken, duration=4.5, counts=[1, 1, 1])
    assert [t.start for t in timings] == pytest.approx([0.0, 3 / 11 * 4, 6 / 11 * 4])
    assert timings[-1].end == pytest.approx(4.0)


def test_proportional_sharing_skips_the_pauses() -> None:
    spoken = [SpokenWord("a", 0.0, 1.0), SpokenWord("b", 3.0, 4.0)]  # a two-second pause between
    timings = align_words("aa bb cc dd", spoken, duration=5.0)
    assert [t.start for t in timings] == pytest.approx([0.0, 0.5, 3.0, 3.5])


def test_an_unspoken_word_starts_where_the_previous_one_ends() -> None:
    spoken = [SpokenWord("a", 0.1, 0.5), SpokenWord("b", 0.9, 1.3)]
    timings = align_words("Go — now", spoken, duration=1.5)
    assert [(t.text, t.start) for t in timings] == [("Go", 0.1), ("—", 0.5), ("now", 0.9)]
    assert timings[0].end == 0.5 and timings[1].end == 0.9


def test_without_alignments_the_words_share_the_whole_audio() -> None:
    timings = align_words("one two", [], duration=2.0)
    assert [value for t in timings for value in (t.start, t.end)] == pytest.approx([0.0, 1.0, 1.0, 2.0])
    assert align_words("   ", [], duration=1.0) == ()


WORD = st.text(alphabet="ab1é.,!?—-'$%", min_size=1, max_size=6)
TEXT = (
    st.lists(WORD, min_size=1, max_size=12)
    .flatmap(
        lambda words: st.tuples(
            st.just(words),
            st.lists(st.sampled_from([" ", "  ", "\n", "\t"]), min_size=len(words), max_size=len(words)),
        )
    )
    .map(lambda pair: "".join(sep + word for word, sep in zip(*pair, strict=True)))
)


@st.composite
def speech(draw: st.DrawFn, size: int | None = None) -> tuple[list[SpokenWord], float]:
    """Spoken words with gaps and lengths as Piper gives them, and an audio at least as long."""
    pair = st.tuples(st.floats(0, 0.5), st.floats(0, 0.6))
    gaps_and_lengths = draw(st.lists(pair, min_size=size or 0, max_size=15 if size is None else size))
    words, clock = [], 0.0
    for gap, length in gaps_and_lengths:
        start = clock + gap
        words.append(SpokenWord("p", start, start + length))
        clock = start + length
    return words, clock + draw(st.floats(0, 1))


@settings(max_examples=300, deadline=None)
@given(text=TEXT, spoken=speech(), counts=st.none() | st.lists(st.integers(0, 3), max_size=12))
def test_every_word_in_order_inside_the_audio_never_backwards(
    text: str, spoken: tuple[list[SpokenWord], float], counts: list[int] | None
) -> None:
    words, duration = spoken
    timings = align_words(text, words, duration=duration, counts=counts)
    assert [t.text for t in timings] == text.split()
    for timing in timings:
        assert 0.0 <= timing.start <= timing.end <= duration + 1e-9
    for before, after in itertools.pairwise(timings):
        assert before.start <= after.start
        assert before.end <= after.start + 1e-9


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 3), min_size=1, max_size=10), data=st.data())
def test_matching_counts_put_each_word_where_its_first_spoken_word_starts(
    counts: list[int], data: st.DataObject
) -> None:
    words, duration = data.draw(speech(sum(counts)))
    text = " ".join(f"w{index}" for index in range(len(counts)))
    timings = align_words(text, words, duration=duration, counts=counts)
    position = 0
    for timing, count in zip(timings, counts, strict=True):
        if count:
            assert timing.start == pytest.approx(words[position].start)
        position += count
