"""Tests of the ``espeak`` speech engine: real synthesis with the bundled eSpeak NG."""

from __future__ import annotations

import math
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pluggy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oasis_core import hookspecs
from oasis_core.domain.media import Speech
from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import SpeechEngine
from oasis_core.services.captions import is_unspaced
from oasis_plugins import espeak as espeak_plugin
from oasis_plugins.espeak import library
from oasis_plugins.espeak.alignment import align_words, audible_end, word_spans
from oasis_plugins.espeak.library import WordEvent
from oasis_plugins.espeak.speech_engine import EspeakSpeechEngine

ELEVEN_WORDS = "Every morning brings a new chance to become who you are."
RATE = 22050


@pytest.fixture(scope="module")
def engine() -> EspeakSpeechEngine:
    return EspeakSpeechEngine(ProviderConfig())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype="<i2"), wav.getframerate()


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))


def assert_well_formed(speech: Speech, text: str) -> None:
    """One timing per word, as written, in order, never going back, inside the audio."""
    assert [w.text for w in speech.words] == text.split()
    previous = 0.0
    for index, word in enumerate(speech.words):
        assert previous <= word.start <= word.end <= speech.duration
        if index + 1 < len(speech.words):
            assert word.end == speech.words[index + 1].start
        previous = word.start


# --- the provider and its plugin ---------------------------------------------------------------


def test_declares_provider_attributes_and_fits_the_port(engine: EspeakSpeechEngine) -> None:
    assert EspeakSpeechEngine.id == "espeak"
    assert EspeakSpeechEngine.name == "eSpeak NG (offline)"
    assert EspeakSpeechEngine.needs_key is None
    assert EspeakSpeechEngine.key_env_var is None
    assert isinstance(engine, SpeechEngine)


def test_plugin_registers_the_engine() -> None:
    manager = pluggy.PluginManager("oasis")
    manager.add_hookspecs(hookspecs)
    manager.register(espeak_plugin)
    registered: list[type] = []
    manager.hook.register_speech_engines(register=registered.append)
    assert registered == [EspeakSpeechEngine]


# --- voices -------------------------------------------------------------------------------------


def test_voices_put_us_english_first_and_have_unique_ids(engine: EspeakSpeechEngine) -> None:
    voices = list(engine.voices())
    assert voices[0].id == "en-us"
    assert voices[0].language == "en-us"
    ids = [v.id for v in voices]
    assert len(ids) == len(set(ids))
    assert len(voices) > 100
    assert {"en", "fr", "de", "es"} <= set(ids)
    assert all(v.name and v.language for v in voices)
    # Voices whose dictionary the wheel lacks are left out.
    assert "fo" not in ids


def test_every_listed_voice_speaks(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    for voice in engine.voices():
        speech = engine.synthesize("one two", tmp_path, voice=voice.id)
        samples, _ = read_wav(speech.audio_path)
        assert rms(samples) > 0.005, voice
        assert speech.voice == voice.id
        speech.audio_path.unlink()


def test_voice_ids_are_case_insensitive(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    assert engine.synthesize("Hello", tmp_path, voice="EN-US").voice == "en-us"


def test_unknown_voice_lists_some_choices(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.synthesize("Hello", tmp_path, voice="klingon")
    assert caught.value.field == "voice"
    assert "en-us" in caught.value.choices
    assert 1 < len(caught.value.choices) <= 17
    assert "klingon" in caught.value.message
    with pytest.raises(InvalidInput) as french:
        engine.synthesize("Bonjour", tmp_path, voice="fr-xx")
    assert {"fr", "fr-be", "fr-ch"} <= set(french.value.choices)
    assert list(tmp_path.iterdir()) == []


def test_config_voice_is_the_default(tmp_path: Path) -> None:
    engine = EspeakSpeechEngine(ProviderConfig(settings={"voice": "en"}))
    assert engine.synthesize("Hello there", tmp_path).voice == "en"
    assert engine.synthesize("Hello there", tmp_path, voice="en-us").voice == "en-us"
    with pytest.raises(InvalidInput):
        EspeakSpeechEngine(ProviderConfig(settings={"voice": "nope"})).synthesize("Hi", tmp_path)


# --- the audio ----------------------------------------------------------------------------------


def test_writes_a_decodable_audible_wav(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    speech = engine.synthesize(ELEVEN_WORDS, tmp_path)
    assert speech.audio_path.parent == tmp_path
    assert speech.audio_path.suffix == ".wav"
    assert list(tmp_path.iterdir()) == [speech.audio_path]  # no temporary file left behind
    assert speech.voice == "en-us"
    assert speech.usage == {"characters": len(ELEVEN_WORDS)}

    samples, rate = read_wav(speech.audio_path)
    assert rate == RATE == library.sample_rate()
    assert math.isclose(len(samples) / rate, speech.duration, abs_tol=1e-6)
    assert 2.0 < speech.duration < 8.0
    assert rms(samples) > 0.02

    with av.open(str(speech.audio_path)) as container:
        stream = container.streams.audio[0]
        assert stream.rate == RATE
        decoded = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(stream)])
    assert len(decoded) == len(samples)
    assert rms(decoded) > 0.02


def test_each_call_writes_a_new_file(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    first = engine.synthesize("Hello", tmp_path)
    second = engine.synthesize("Hello", tmp_path)
    assert first.audio_path != second.audio_path
    assert first.audio_path.exists() and second.audio_path.exists()


def test_creates_a_missing_output_folder(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    speech = engine.synthesize("Hello", tmp_path / "a" / "b")
    assert speech.audio_path.is_file()


def test_slower_rate_gives_longer_audio(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    slow = engine.synthesize(ELEVEN_WORDS, tmp_path, rate=0.6)
    normal = engine.synthesize(ELEVEN_WORDS, tmp_path)
    fast = engine.synthesize(ELEVEN_WORDS, tmp_path, rate=1.8)
    assert slow.duration > normal.duration * 1.3
    assert fast.duration < normal.duration * 0.8
    assert_well_formed(slow, ELEVEN_WORDS)


def test_config_rate_scales_the_speed(tmp_path: Path) -> None:
    normal = EspeakSpeechEngine(ProviderConfig()).synthesize(ELEVEN_WORDS, tmp_path)
    slow = EspeakSpeechEngine(ProviderConfig(settings={"rate": "0.6"})).synthesize(ELEVEN_WORDS, tmp_path)
    assert slow.duration > normal.duration * 1.3


def test_a_different_voice_gives_different_audio(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    american, _ = read_wav(engine.synthesize(ELEVEN_WORDS, tmp_path, voice="en-us").audio_path)
    british, _ = read_wav(engine.synthesize(ELEVEN_WORDS, tmp_path, voice="en").audio_path)
    german, _ = read_wav(engine.synthesize(ELEVEN_WORDS, tmp_path, voice="de").audio_path)
    assert len({len(american), len(british), len(german)}) == 3
    size = min(len(american), len(british))
    assert rms(american[:size].astype(np.int32) - british[:size]) > 0.01


@pytest.mark.parametrize("rate", [0.1, 0.49, 2.01, 5, -1, math.nan, math.inf, True, "fast"])
def test_rejects_rates_out_of_range(engine: EspeakSpeechEngine, tmp_path: Path, rate: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.synthesize("Hello", tmp_path, rate=rate)  # type: ignore[arg-type]
    assert caught.value.field == "rate"


@pytest.mark.parametrize("rate", ["0.1", "fast", "nan"])
def test_rejects_bad_rate_settings(rate: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        EspeakSpeechEngine(ProviderConfig(settings={"rate": rate}))
    assert caught.value.field == "rate"


@pytest.mark.parametrize("text", ["", " ", "\n\t  "])
def test_rejects_empty_text(engine: EspeakSpeechEngine, tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.synthesize(text, tmp_path)
    assert caught.value.field == "text"
    assert list(tmp_path.iterdir()) == []


# --- word timings -------------------------------------------------------------------------------


def test_one_timing_per_word_spread_over_the_audio(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    speech = engine.synthesize(ELEVEN_WORDS, tmp_path)
    assert len(speech.words) == 11
    assert_well_formed(speech, ELEVEN_WORDS)
    assert speech.words[0].start < 0.1
    assert speech.words[-1].start > 0.6 * speech.duration
    assert speech.words[-1].end > 0.9 * speech.duration
    assert all(word.end > word.start for word in speech.words)
    # Each word starts where there is sound soon after (the timings follow the audio).
    samples, rate = read_wav(speech.audio_path)
    for word in speech.words:
        window = samples[int(word.start * rate) : int(word.start * rate) + rate // 4]
        assert rms(window) > 0.01, word


def test_non_ascii_text_keeps_character_offsets(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    text = "Café déjà vu, naïve façade. Zoë's 🍕 pizza was über good."
    speech = engine.synthesize(text, tmp_path)
    assert_well_formed(speech, text)
    starts = {w.text: w.start for w in speech.words}
    # Offsets are characters, not bytes: late words are not pulled onto early ones.
    assert starts["façade."] > starts["naïve"] > starts["vu,"] > starts["déjà"] > starts["Café"]
    assert starts["good."] > 0.6 * speech.duration


def test_numbers_and_symbols_get_one_timing_per_word(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    text = "In 1999 we paid $5 — twice. A well-known Dr. Smith at 221B Baker St. in the U.K. said: 3.14!"
    speech = engine.synthesize(text, tmp_path)
    assert_well_formed(speech, text)
    by_word = {w.text: w for w in speech.words}
    # "1999" is spoken as several words: it lasts much longer than "we".
    assert by_word["1999"].end - by_word["1999"].start > 3 * (by_word["we"].end - by_word["we"].start)
    assert by_word["twice."].start > by_word["$5"].start


def test_phrases_spoken_as_one_word_still_time_each_word(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    text = "to be or not to be"
    speech = engine.synthesize(text, tmp_path)
    assert_well_formed(speech, text)
    assert speech.words[1].start > speech.words[0].start  # espeak-ng says "to be" as one word


def test_punctuation_only_and_control_characters(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    assert_well_formed(engine.synthesize("— … —", tmp_path), "— … —")
    text = "Hello\x00world and\x07 more"
    assert_well_formed(engine.synthesize(text, tmp_path), text)


def test_threads_get_their_own_words(engine: EspeakSpeechEngine, tmp_path: Path) -> None:
    texts = [
        "The early bird catches the worm.",
        "Stay hungry, stay foolish, and keep going.",
        "Dream big.",
        "Small steps every day lead to remarkable results over time.",
    ] * 2
    barrier = threading.Barrier(4)

    def speak(text: str) -> tuple[str, Speech]:
        barrier.wait(timeout=10)
        return text, engine.synthesize(text, tmp_path)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(speak, texts[:4])) + list(pool.map(speak, texts[4:]))
    for text, speech in results:
        assert_well_formed(speech, text)
        samples, _ = read_wav(speech.audio_path)
        assert rms(samples) > 0.02
    durations = [speech.duration for _, speech in results]
    assert durations[2] < durations[0] < durations[3]  # each got its own audio, not a neighbour's
    assert len({speech.audio_path for _, speech in results}) == len(texts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            # Runs of Chinese or Japanese are cut at espeak's events (tests/unit/test_unspaced_captions.py).
            st.text(st.characters(categories=("L",)), min_size=1, max_size=9).filter(
                lambda word: not any(map(is_unspaced, word))
            ),
            st.sampled_from(["", ",", ".", "!", "?", "'s"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([" ", "  ", "\n", " \t "]),
)
def test_random_texts_get_one_timing_per_word(
    engine: EspeakSpeechEngine, tmp_path: Path, words: list[tuple[str, str]], separator: str
) -> None:
    text = separator.join(word + suffix for word, suffix in words)
    speech = engine.synthesize(text, tmp_path)
    assert_well_formed(speech, text)
    assert speech.duration > 0
    speech.audio_path.unlink()


# --- alignment, with made-up events -------------------------------------------------------------


def test_word_spans_match_str_split() -> None:
    text = " a\u00a0b\tcc\u2003 d\x1ce  "
    assert [text[start:end] for start, end in word_spans(text)] == text.split()


def test_align_hands_phrase_events_to_swallowed_words() -> None:
    text = "to be — or"
    events = [WordEvent(0, 2, 0), WordEvent(1, 2, 1000), WordEvent(8, 2, 3000)]
    words = align_words(text, events, 1000, speech_end=4.0, duration=5.0)
    # "be" gets the extra event of "to"; "—" is interpolated, with a share by letters ("be": 2, "—": 1).
    assert [(w.text, w.start, w.end) for w in words] == [
        ("to", 0.0, 1.0),
        ("be", 1.0, pytest.approx(7 / 3)),
        ("—", pytest.approx(7 / 3), 3.0),
        ("or", 3.0, 4.0),
    ]


def test_align_keeps_number_events_on_the_number() -> None:
    text = "1999 — twice"
    events = [WordEvent(0, 4, 0), WordEvent(1, 4, 500), WordEvent(1, 4, 1000), WordEvent(7, 5, 2000)]
    words = align_words(text, events, 1000, speech_end=2.5, duration=3.0)
    # "—" is not speakable, so it gets no extra event of "1999", only a share of the gap by letters.
    assert [w.start for w in words] == [0.0, pytest.approx(1.6), 2.0]


def test_align_interpolates_and_clamps() -> None:
    text = "— alpha beta gamma"
    # An event pointing at whitespace belongs to the next word; a late event going back is kept in order.
    events = [WordEvent(1, 1, 100), WordEvent(13, 5, 900), WordEvent(0, 1, 950)]
    words = align_words(text, events, 1000, speech_end=1.2, duration=1.0)
    assert [w.text for w in words] == text.split()
    assert words[0].start == 0.0
    assert words[1].start == 0.1
    assert 0.1 < words[2].start < words[3].start == 0.9
    assert words[-1].end == 1.0


def test_align_without_events_spreads_words_by_length() -> None:
    words = align_words("aa bb cccc", [], 1000, speech_end=8.0, duration=10.0)
    assert [(w.start, w.end) for w in words] == [(0.0, 2.0), (2.0, 4.0), (4.0, 8.0)]


def test_audible_end_ignores_quiet_samples() -> None:
    samples = np.zeros(1000, dtype=np.int16)
    samples[100:400] = 10000
    samples[400:900] = 50  # hiss, below the threshold
    assert audible_end(samples, 1000) == 0.4
    assert audible_end(np.zeros(10, dtype=np.int16), 1000) == 0.0
