"""The ``openai`` speech engine against a fake OpenAI server, through the real ``openai`` SDK.

The engine's contract suite runs in tests/contract/test_bundled_providers.py.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from pathlib import Path
from random import Random

import numpy as np
import openai
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.fakes.http_server import Reply
from tests.fakes.openai_api import (
    FakeOpenAI,
    malformed_reply,
    quota_reply,
    rate_limit_reply,
    server_error_reply,
)
from tests.fakes.openai_audio import audio_seconds, encode, tone_with_gaps
from tests.media_checks import decoded_audio, probe

from oasis_core import ProviderConfig, Studio
from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import CATEGORIES, get_category
from oasis_core.domain.media import word_spans
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import load_catalog
from oasis_core.services.render import TAIL_SECONDS
from oasis_plugins.openai import OpenAISpeechEngine, speech_audio
from oasis_plugins.openai.speech_alignment import align_transcript, normalise, number_words
from oasis_plugins.openai.speech_audio import upload_form
from oasis_plugins.openai.speech_engine import MAX_INPUT, VOICES, split_for_requests
from oasis_plugins.openai.speech_tone import TONES, instructions_for

KEY = "sk-test-key"
TEXT = "In 1990, we — the few — said “yes”. Don't stop now!"
STOICISM = get_category("stoicism")


@pytest.fixture(scope="module")
def running_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(valid_keys={KEY}).running() as api:  # one server for the module: stopping takes 0.5 s
        yield api  # type: ignore[misc]


@pytest.fixture
def fake(running_fake: FakeOpenAI) -> FakeOpenAI:
    running_fake.reset()
    return running_fake


def engine_for(
    fake: FakeOpenAI, key: str | None = KEY, cache_dir: Path | None = None, **extra: str
) -> OpenAISpeechEngine:
    settings = {"base_url": fake.base_url, "max_retries": "0", **extra}
    return OpenAISpeechEngine(ProviderConfig(key=key, settings=settings, cache_dir=cache_dir))


def sdk_client(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)


# -- what it writes and sends --------------------------------------------------------------------


def test_writes_the_audio_the_server_sent_and_times_each_word_where_it_was_spoken(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    speech = engine_for(fake).synthesize(TEXT, tmp_path, category=STOICISM)
    assert speech.audio_path.suffix == ".mp3" and speech.audio_path.read_bytes() == fake.last_speech
    assert [p.name for p in tmp_path.iterdir()] == [speech.audio_path.name]
    assert speech.duration == pytest.approx(audio_seconds(fake.last_speech))
    spoken = next(iter(fake.spoken.values()))
    assert [w.text for w in speech.words] == TEXT.split() == [word for word, _, _ in spoken]
    for word, (_, start, end) in zip(speech.words, spoken, strict=True):
        if word.text != "—":  # the transcriber writes no word for a dash: it is interpolated
            assert word.start == pytest.approx(start, abs=0.006) and word.end == pytest.approx(end, abs=0.006)
    assert speech.voice == "coral"
    assert speech.usage == {
        "characters": len(TEXT),
        "requests": 2,
        "transcription_seconds": math.ceil(speech.duration),
        "cached_requests": 0,
    }
    transcription = fake.transcription_requests()[0]
    assert b'name="model"\r\n\r\nwhisper-1' in transcription.body
    assert (
        b"verbose_json" in transcription.body
        and b'name="timestamp_granularities[]"\r\n\r\nword' in transcription.body
    )


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.id)
def test_gpt_4o_mini_tts_is_told_the_tone_of_the_category(
    fake: FakeOpenAI, tmp_path: Path, category: object
) -> None:
    engine_for(fake).synthesize("Hello there.", tmp_path, category=category)  # type: ignore[arg-type]
    sent = fake.speech_requests()[-1].json()
    assert sent["model"] == "gpt-4o-mini-tts"
    assert sent["instructions"] == instructions_for(category)  # type: ignore[arg-type]
    assert TONES[category.id][1] in sent["instructions"]  # type: ignore[attr-defined]


def test_every_category_has_its_own_tone_and_other_ones_get_their_mood_words() -> None:
    assert set(TONES) == {category.id for category in CATEGORIES}
    assert len({instructions_for(category) for category in CATEGORIES}) == len(CATEGORIES)
    other = type(STOICISM)("nostalgia", "Nostalgia", ("wistful", "faded"))
    assert "wistful, faded" in instructions_for(other)
    assert "narrator" in instructions_for(None)


def test_a_configured_tone_wins_over_the_category(fake: FakeOpenAI, tmp_path: Path) -> None:
    engine_for(fake, speech_instructions="Whisper it.").synthesize(
        "Hello there.", tmp_path, category=STOICISM
    )
    assert fake.speech_requests()[-1].json()["instructions"] == "Whisper it."


def test_tts_1_gets_no_instructions_and_offers_only_its_voices(fake: FakeOpenAI, tmp_path: Path) -> None:
    engine = engine_for(fake, speech_model="tts-1", voice="onyx")
    assert engine.voices()[0].id == "onyx" and len(engine.voices()) == 9
    speech = engine.synthesize("Hello there.", tmp_path, category=STOICISM)
    sent = fake.speech_requests()[-1].json()
    assert sent["model"] == "tts-1" and "instructions" not in sent and sent["voice"] == "onyx"
    assert speech.voice == "onyx"
    with pytest.raises(InvalidInput) as info:
        engine.synthesize("Hello there.", tmp_path, voice="marin")
    assert "marin" not in info.value.choices and "alloy" in info.value.choices


def test_voices_lists_every_documented_voice_with_the_default_first(fake: FakeOpenAI) -> None:
    voices = engine_for(fake, voice="cedar").voices()
    assert voices[0].id == "cedar" and sorted(v.id for v in voices) == sorted(VOICES)


def test_a_voice_named_by_its_language_is_the_first_voice_for_it(fake: FakeOpenAI, tmp_path: Path) -> None:
    speech = engine_for(fake, voice="sage").synthesize("Hello there.", tmp_path, voice="en")
    assert speech.voice == "sage" and fake.speech_requests()[-1].json()["voice"] == "sage"


def test_a_refused_model_falls_back_to_tts_1_without_instructions(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.speech_models = ["tts-1"]  # the project may not use gpt-4o-mini-tts
    engine = engine_for(fake, voice="marin")
    speech = engine.synthesize("Hello there.", tmp_path, category=STOICISM)
    first, second = (r.json() for r in fake.speech_requests())
    assert first["model"] == "gpt-4o-mini-tts" and "instructions" in first
    assert second["model"] == "tts-1" and "instructions" not in second and second["voice"] == "coral"
    assert speech.voice == "coral" and speech.usage["requests"] == 3
    engine.synthesize("Hello again.", tmp_path, voice="marin")
    assert [r.json()["model"] for r in fake.speech_requests()] == ["gpt-4o-mini-tts", "tts-1", "tts-1"]


def test_without_a_fallback_a_refused_model_is_a_provider_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.speech_models = ["tts-1"]
    with pytest.raises(ProviderError, match="does not exist") as info:
        engine_for(fake, speech_fallback_model="none").synthesize("Hello there.", tmp_path)
    assert not isinstance(info.value, RetryableProviderError)
    assert len(fake.speech_requests()) == 1


@pytest.mark.parametrize(("rate", "speed"), [(1.5, 1.5), (0.5, 0.5), (2.0, 2.0)])
def test_the_rate_is_sent_as_speed(fake: FakeOpenAI, tmp_path: Path, rate: float, speed: float) -> None:
    slow = engine_for(fake).synthesize(TEXT, tmp_path)
    quick = engine_for(fake).synthesize(TEXT, tmp_path, rate=rate)
    assert "speed" not in fake.speech_requests()[0].json()
    assert fake.speech_requests()[-1].json()["speed"] == speed
    assert quick.duration == pytest.approx(slow.duration / speed, rel=0.1)


@pytest.mark.parametrize("rate", [0.4, 2.5, float("nan")])
def test_a_rate_outside_the_port_range_is_refused(fake: FakeOpenAI, tmp_path: Path, rate: float) -> None:
    with pytest.raises(InvalidInput):
        engine_for(fake).synthesize(TEXT, tmp_path, rate=rate)
    assert not fake.requests


def test_wav_speech_is_written_as_wav(fake: FakeOpenAI, tmp_path: Path) -> None:
    speech = engine_for(fake, speech_format="wav").synthesize(TEXT, tmp_path)
    assert speech.audio_path.suffix == ".wav" and speech.audio_path.read_bytes()[:4] == b"RIFF"
    assert fake.speech_requests()[-1].json()["response_format"] == "wav"
    assert speech.duration == pytest.approx(audio_seconds(fake.last_speech))


def test_a_long_text_is_spoken_in_parts_split_between_sentences(fake: FakeOpenAI, tmp_path: Path) -> None:
    sentences = [f"Sentence number {n} keeps the story going for a while longer." for n in range(80)]
    text = " ".join(sentences)
    assert len(text) > MAX_INPUT
    speech = engine_for(fake, speech_format="wav").synthesize(text, tmp_path, rate=2.0)
    parts = [r.json()["input"] for r in fake.speech_requests()]
    assert len(parts) == 2 and all(len(part) <= MAX_INPUT and part.endswith(".") for part in parts)
    assert " ".join(parts) == text
    assert speech.audio_path.suffix == ".wav" and speech.usage["characters"] == len(text) - 1
    lengths = [audio_seconds(audio) for audio in _spoken_audio(fake)]
    assert speech.duration == pytest.approx(sum(lengths), abs=0.01)
    assert probe_seconds(speech.audio_path) == pytest.approx(speech.duration, abs=0.01)
    assert [w.text for w in speech.words] == text.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end <= speech.duration
    first_of_second = len(parts[0].split())
    assert speech.words[first_of_second].start >= lengths[0]  # the second part's times are offset
    assert len(fake.transcription_requests()) == 2


def _spoken_audio(fake: FakeOpenAI) -> list[bytes]:
    """The audio the fake sent, in order, read back from the transcription uploads."""
    from tests.fakes.openai_audio import form_fields

    return [form_fields(r)["file"][0][1] for r in fake.transcription_requests()]


def probe_seconds(path: Path) -> float:
    samples, rate = decoded_audio(path)
    return samples.shape[-1] / rate


def test_a_transcript_in_its_own_spelling_still_times_every_word(fake: FakeOpenAI, tmp_path: Path) -> None:
    spelt = {"1990,": ["nineteen", "ninety"], "Don't": ["do", "not"], "now!": []}
    fake.heard_as = lambda word: spelt.get(word, [word.upper().strip("“”.,!—")] if word != "—" else [])
    speech = engine_for(fake).synthesize(TEXT, tmp_path)
    spoken = next(iter(fake.spoken.values()))
    assert [w.text for w in speech.words] == TEXT.split()
    by_word = {w.text: w for w in speech.words}
    assert by_word["1990,"].start == pytest.approx(spoken[1][1], abs=0.006)
    assert by_word["1990,"].end == pytest.approx(spoken[1][2], abs=0.006)
    assert by_word["now!"].start >= by_word["stop"].end
    assert all(0 <= w.start <= w.end <= speech.duration for w in speech.words)


def test_speaking_the_same_text_again_comes_from_the_cache(fake: FakeOpenAI, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = engine_for(fake, cache_dir=cache).synthesize(TEXT, tmp_path / "a", category=STOICISM)
    fake.requests.clear()
    again = engine_for(fake, cache_dir=cache).synthesize(TEXT, tmp_path / "b", category=STOICISM)
    assert not fake.requests
    assert again.audio_path.read_bytes() == first.audio_path.read_bytes() and again.words == first.words
    assert again.usage == {"characters": 0, "requests": 0, "transcription_seconds": 0, "cached_requests": 2}
    engine_for(fake, cache_dir=cache).synthesize(TEXT, tmp_path / "c", category=get_category("love"))
    assert len(fake.speech_requests()) == 1  # another tone is another recording


def test_a_damaged_or_unwritable_cache_is_passed_over(fake: FakeOpenAI, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    engine_for(fake, cache_dir=cache).synthesize(TEXT, tmp_path)
    for kept in (cache / "speech").iterdir():
        kept.write_bytes(b"damaged")
    speech = engine_for(fake, cache_dir=cache).synthesize(TEXT, tmp_path)
    assert speech.usage["cached_requests"] == 0 and speech.usage["requests"] == 2
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go")
    assert engine_for(fake, cache_dir=blocked).synthesize(TEXT, tmp_path).usage["requests"] == 2


# -- the pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("1990", "nineteen ninety"),
        ("2024", "twenty twenty four"),
        ("2005", "two thousand five"),
        ("1,250", "one thousand two hundred fifty"),
        ("3.5", "three point five"),
        ("21st", "twenty first"),
        ("42%", "forty two percent"),
        ("Don’t", "dont"),
        ("Well-Being", "well being"),
        ("café", "cafe"),
    ],
)
def test_normalise_reads_text_as_it_is_spoken(written: str, spoken: str) -> None:
    assert normalise(written) == spoken.split()


@given(st.integers(0, 10**15 - 1))
def test_every_number_has_words(number: int) -> None:
    words = number_words(number)
    assert words and all(word.isalpha() for word in words)


def test_missing_words_are_interpolated_between_their_neighbours() -> None:
    words = align_transcript("one two three four", [("one", 0.0, 0.5), ("four", 2.0, 2.5)], duration=3.0)
    assert [(w.start, w.end) for w in (words[0], words[3])] == [(0.0, 0.5), (2.0, 2.5)]
    assert 0.5 <= words[1].start < words[2].start < 2.0 and words[2].end <= 2.0


def test_a_misheard_word_takes_the_time_of_what_was_heard_instead() -> None:
    heard = [("I", 0.0, 0.2), ("met", 0.3, 0.5), ("Shavonne", 0.6, 1.2), ("today", 1.3, 1.7)]
    words = align_transcript("I met Siobhan today.", heard, duration=2.0)
    assert (words[2].start, words[2].end) == (0.6, 1.2)
    assert words[3].start == 1.3


def test_no_transcript_spreads_the_words_over_the_audio() -> None:
    words = align_transcript("a bb ccc", [], duration=6.0)
    assert [w.start for w in words] == [0.0, 1.0, 3.0] and words[-1].end == 6.0


_SCRIPT_WORD = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=8)
_TIME = st.floats(allow_nan=True, allow_infinity=True) | st.floats(0, 30)


@given(
    st.lists(_SCRIPT_WORD, max_size=20).map(" ".join),
    st.lists(st.tuples(st.text(max_size=8), _TIME, _TIME), max_size=25),
    st.floats(0, 40),
)
@example("a b c", [("a", -1e308, -1e308), ("c", 1e308, 1e308)], 5.0)  # once gave "b" a NaN start
@settings(max_examples=200, deadline=None)
def test_any_script_and_any_transcript_give_valid_timings(
    text: str, transcript: list[tuple[str, float, float]], duration: float
) -> None:
    words = align_transcript(text, transcript, duration=duration)
    assert [w.text for w in words] == text.split()
    previous = 0.0
    for word in words:
        assert previous <= word.start <= word.end <= duration
        previous = word.start


@given(
    st.lists(_SCRIPT_WORD, min_size=1, max_size=20),
    st.randoms(use_true_random=False),
    st.floats(0.05, 0.6),
)
@settings(max_examples=150, deadline=None)
def test_words_the_transcript_heard_keep_their_times(words: list[str], rng: Random, step: float) -> None:
    text = " ".join(words)
    transcript, kept = [], {}
    now = 0.0
    for index, word in enumerate(words):
        start, now = now, now + step
        if rng.random() < 0.25:
            continue  # missed
        if rng.random() < 0.1:
            transcript.append(("extra", start, start))  # heard something that was not said
        transcript.append((word.upper(), start, now))
        kept[index] = (start, now)
    timings = align_transcript(text, transcript, duration=now)
    assert [w.text for w in timings] == text.split()
    tokens = [token for word in words for token in normalise(word)]
    heard_alike = all(normalise(word) and normalise(word.upper()) == normalise(word) for word in words)
    if heard_alike and len(set(tokens)) == len(tokens) and "extra" not in tokens:
        for index, (start, end) in kept.items():
            assert timings[index].start == pytest.approx(start) and timings[index].end == pytest.approx(end)
    assert all(0 <= w.start <= w.end <= now for w in timings)


@given(
    st.lists(
        st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=30), min_size=1, max_size=60
    ),
    st.integers(30, 200),
)
@settings(max_examples=100, deadline=None)
def test_split_for_requests_keeps_every_word_in_parts_within_the_limit(words: list[str], limit: int) -> None:
    text = " ".join(words)
    parts = split_for_requests(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert [w for part in parts for w in part.split()] == text.split()
    assert len(parts) == 1 or all(len(word_spans(part)) for part in parts)


def test_an_upload_over_the_limit_is_shrunk_to_a_small_mp3(monkeypatch: pytest.MonkeyPatch) -> None:
    samples, _ = tone_with_gaps(["a", "few", "words", "to", "hear"], 1.0)
    wav = encode(samples, "wav")
    assert upload_form(wav, ".wav") == (wav, ".wav")
    monkeypatch.setattr(speech_audio, "MAX_UPLOAD_BYTES", len(wav) // 4)
    shrunk, suffix = upload_form(wav, ".wav")
    assert suffix == ".mp3" and len(shrunk) <= len(wav) // 4
    assert audio_seconds(shrunk) == pytest.approx(audio_seconds(wav), abs=0.08)
    monkeypatch.setattr(speech_audio, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ProviderError, match="25 MB"):
        upload_form(wav, ".wav")


def test_split_for_requests_refuses_a_word_longer_than_a_request() -> None:
    with pytest.raises(InvalidInput, match="word"):
        split_for_requests("a " + "x" * 50, 40)


# -- what the fake refuses, as OpenAI does ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"model": "tts-1", "instructions": "Be calm."}, "instructions"),
        ({"model": "tts-1-hd", "voice": "marin"}, "voice"),
        ({"voice": "bob"}, "voice"),
        ({"input": "x" * 4097}, "input"),
        ({"speed": 4.5}, "speed"),
        ({"speed": 0.2}, "speed"),
        ({"response_format": "ogg"}, "response_format"),
        ({"model": "tts-1", "stream_format": "sse"}, "stream_format"),
    ],
)
def test_the_fake_refuses_speech_requests_openai_refuses(
    fake: FakeOpenAI, changes: dict[str, object], param: str
) -> None:
    arguments: dict[str, object] = {
        "model": "gpt-4o-mini-tts",
        "voice": "coral",
        "input": "Hello.",
        **changes,
    }
    with pytest.raises(openai.BadRequestError) as info:
        sdk_client(fake).audio.speech.create(**arguments)  # type: ignore[arg-type]
    assert info.value.param == param


def test_the_fake_refuses_word_timestamps_from_gpt_4o_transcribe_and_without_verbose_json(
    fake: FakeOpenAI,
) -> None:
    audio = sdk_client(fake).audio.speech.create(model="tts-1", voice="alloy", input="Hello there.").read()
    client = sdk_client(fake)
    with pytest.raises(openai.BadRequestError, match="not compatible"):
        client.audio.transcriptions.create(
            file=("a.mp3", audio), model="gpt-4o-transcribe", response_format="verbose_json"
        )
    with pytest.raises(openai.BadRequestError, match="verbose_json"):
        client.audio.transcriptions.create(
            file=("a.mp3", audio), model="whisper-1", response_format="json", timestamp_granularities=["word"]
        )
    with pytest.raises(openai.BadRequestError, match="file format"):
        client.audio.transcriptions.create(file=("a.txt", audio), model="whisper-1")
    plain = client.audio.transcriptions.create(file=("a.mp3", audio), model="gpt-4o-transcribe")
    assert plain.text == "Hello there"


def test_the_fake_refuses_uploads_over_25_mb(fake: FakeOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        sdk_client(fake).audio.transcriptions.create(
            file=("a.wav", b"\0" * (25 * 1024 * 1024 + 1)), model="whisper-1"
        )
    assert info.value.status_code == 413


# -- failures ------------------------------------------------------------------------------------


def test_a_refused_key_needs_credentials_without_showing_it(fake: FakeOpenAI, tmp_path: Path) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    with pytest.raises(NeedsCredentials) as info:
        engine_for(fake, key=wrong).synthesize(TEXT, tmp_path)
    assert "key is invalid" in info.value.message and wrong not in info.value.message
    assert not list(tmp_path.iterdir())


def test_a_missing_key_needs_credentials() -> None:
    with pytest.raises(NeedsCredentials, match="OPENAI_API_KEY"):
        OpenAISpeechEngine(ProviderConfig(settings={"base_url": "http://127.0.0.1:9/v1"}))


def test_a_rate_limit_then_success_is_retried_by_the_sdk(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(rate_limit_reply("0.01"))
    speech = engine_for(fake, max_retries="1").synthesize(TEXT, tmp_path)
    assert len(fake.speech_requests()) == 2 and speech.audio_path.read_bytes() == fake.last_speech


def test_a_lasting_rate_limit_is_retryable_with_its_wait(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(rate_limit_reply("7"))
    with pytest.raises(RetryableProviderError, match="rate limit") as info:
        engine_for(fake).synthesize(TEXT, tmp_path)
    assert info.value.retry_after == 7


def test_an_exhausted_quota_is_not_retryable(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(quota_reply())
    with pytest.raises(ProviderError, match="no quota") as info:
        engine_for(fake).synthesize(TEXT, tmp_path)
    assert not isinstance(info.value, RetryableProviderError)


def test_a_server_error_is_retryable(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(server_error_reply(500))
    with pytest.raises(RetryableProviderError, match="HTTP 500"):
        engine_for(fake).synthesize(TEXT, tmp_path)


def test_a_timeout_is_retryable(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(Reply(200, b"", delay=0.6))
    with pytest.raises(RetryableProviderError, match="in time"):
        engine_for(fake, speech_timeout="0.2").synthesize(TEXT, tmp_path)


def test_an_unreachable_server_is_retryable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = OpenAISpeechEngine(
        ProviderConfig(key=KEY, settings={"base_url": f"http://127.0.0.1:{port}/v1", "max_retries": "0"})
    )
    with pytest.raises(RetryableProviderError, match="Could not reach"):
        engine.synthesize(TEXT, tmp_path)


def test_a_failed_transcription_leaves_no_file(fake: FakeOpenAI, tmp_path: Path) -> None:
    engine = engine_for(fake)
    fake.fail_next(Reply(200, fake_speech_bytes(fake)), malformed_reply())
    with pytest.raises(ProviderError, match=r"not valid JSON|unexpected shape") as info:
        engine.synthesize(TEXT, tmp_path)
    assert not isinstance(info.value, RetryableProviderError)
    assert not list(tmp_path.iterdir())


def fake_speech_bytes(fake: FakeOpenAI) -> bytes:
    """Real audio from the fake, made before the failures are queued."""
    audio = sdk_client(fake).audio.speech.create(model="tts-1", voice="alloy", input=TEXT).read()
    fake.requests.clear()
    return audio


@pytest.mark.parametrize(
    "reply",
    [Reply(200, b"not audio at all" * 64, headers={"Content-Type": "audio/mpeg"}), Reply(200, b"")],
    ids=["undecodable", "empty"],
)
def test_speech_that_is_not_audio_is_a_provider_error(fake: FakeOpenAI, tmp_path: Path, reply: Reply) -> None:
    fake.fail_next(reply)
    with pytest.raises(ProviderError, match=r"audio|sound|decoded") as info:
        engine_for(fake).synthesize(TEXT, tmp_path)
    assert not isinstance(info.value, RetryableProviderError)
    assert not list(tmp_path.iterdir())


def test_a_transcription_without_words_spreads_them_over_the_audio(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.heard_as = lambda word: []
    speech = engine_for(fake).synthesize("one two three", tmp_path)
    assert [w.text for w in speech.words] == ["one", "two", "three"]
    assert speech.words[-1].end == pytest.approx(speech.duration)


@pytest.mark.parametrize(
    "bad",
    [
        {"voice": "bob"},
        {"speech_format": "ogg"},
        {"speech_timeout": "soon"},
        {"transcription_model": "gpt-4o-transcribe"},
        {"speech_model": "tts-1", "voice": "marin"},
    ],
)
def test_bad_settings_are_refused(fake: FakeOpenAI, bad: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as info:
        engine_for(fake, **bad)
    assert info.value.field in bad


# -- registration and a whole render -------------------------------------------------------------


def test_the_plugin_registers_the_engine_with_its_settings_env() -> None:
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "oasis_plugins.openai"})
    info = catalog.info(PortKind.SPEECH, "openai")
    assert info.factory is OpenAISpeechEngine
    assert info.needs_key == "openai" and info.key_env_var == "OPENAI_API_KEY"
    assert info.settings_from({"OASIS_OPENAI_VOICE": "sage", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}) == {
        "voice": "sage",
        "base_url": "http://127.0.0.1:9/v1",
    }


@pytest.mark.slow
def test_a_studio_render_speaks_with_openai_in_the_categorys_mood(fake: FakeOpenAI, tmp_path: Path) -> None:
    studio = Studio.from_plugins(
        data_dir=tmp_path / "data",
        keys={"openai": KEY},
        settings={"openai": {"base_url": fake.base_url, "max_retries": "0"}},
        environ={},
    )
    result = studio.render(
        category="courage",
        style="minimal",
        quote="Courage is grace under pressure. Stand up and speak.",
        visual_prompt="a lighthouse in a storm",
        aspect="1:1",
        providers={"speech": "openai", "visuals": "procedural"},
        output=tmp_path / "brave.mp4",
    )
    sent = fake.speech_requests()[-1].json()
    assert sent["instructions"] == instructions_for(get_category("courage"))
    spoken_seconds = audio_seconds(fake.last_speech)
    media = probe(result.path)
    assert media.audio_codec == "aac"
    assert media.audio_seconds == pytest.approx(result.duration, abs=0.1)
    assert media.audio_seconds >= spoken_seconds + TAIL_SECONDS - 0.05  # all of the voice, then a pause
    assert result.usage["openai"]["characters"] == len(result.text)
    samples, rate = decoded_audio(result.path)
    mono = samples.mean(axis=0) if samples.ndim > 1 else samples
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    assert abs(np.fft.rfftfreq(len(mono), 1 / rate)[int(np.argmax(spectrum))] - 220) < 5
