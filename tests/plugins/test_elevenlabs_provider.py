"""Tests of the ``elevenlabs`` speech engine, through the real SDK, against a fake ElevenLabs API."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from random import Random

import av
import pytest
from elevenlabs.core.api_error import ApiError
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fakes.elevenlabs_api import (
    DEFAULT_VOICES,
    VALID_KEY,
    FakeElevenLabs,
    even_alignment,
    rate_limited,
    server_error,
)
from tests.fakes.http_server import Reply

from oasis_core import ProviderConfig
from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import load_catalog
from oasis_core.testing import SpeechEngineContract
from oasis_plugins.elevenlabs import ElevenLabsSpeechEngine
from oasis_plugins.elevenlabs.alignment import word_spans, words_from_alignment
from oasis_plugins.elevenlabs.speech_engine import PREMADE_VOICES, translate_error

TEXT = "Stay hungry, stay foolish — and keep going."
FAST = {"timeout": "2", "max_retries": "2", "retry_backoff": "0.01"}


@pytest.fixture(scope="module")
def running_fake() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs().running() as api:  # stopping takes half a second: one server for the module
        yield api  # type: ignore[misc]


@pytest.fixture
def fake(running_fake: FakeElevenLabs) -> FakeElevenLabs:
    running_fake.reset()
    return running_fake


def engine_for(fake: FakeElevenLabs, key: str | None = VALID_KEY, **extra: str) -> ElevenLabsSpeechEngine:
    return ElevenLabsSpeechEngine(ProviderConfig(key=key, settings={"base_url": fake.url, **FAST, **extra}))


def speech_requests(fake: FakeElevenLabs) -> list:  # type: ignore[type-arg]
    return fake.requests_to(r"/with-timestamps$")


class TestElevenLabsSpeechEngine(SpeechEngineContract):
    @pytest.fixture
    def provider(self, fake: FakeElevenLabs) -> ElevenLabsSpeechEngine:
        return engine_for(fake)


# -- what it writes ------------------------------------------------------------------------------


def test_writes_the_audio_the_server_sent_and_measures_it(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = engine_for(fake).synthesize(TEXT, tmp_path)
    assert speech.audio_path.suffix == ".mp3"
    assert speech.audio_path.read_bytes() == fake.last_audio
    assert [p.name for p in tmp_path.iterdir()] == [speech.audio_path.name]  # no temporary file left
    with av.open(str(speech.audio_path)) as container:
        decoded = sum(frame.samples for frame in container.decode(audio=0))
    assert speech.duration == pytest.approx(decoded / 44100)
    assert speech.voice == DEFAULT_VOICES[0]["voice_id"]
    assert speech.usage == {"characters": len(TEXT), "requests": 1}


def test_word_timings_follow_the_alignment(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = engine_for(fake).synthesize(TEXT, tmp_path)
    alignment = fake.last_alignment
    spans = word_spans(TEXT)
    assert [w.text for w in speech.words] == TEXT.split()
    for word, (start, end) in zip(speech.words, spans, strict=True):
        assert word.start == pytest.approx(alignment["character_start_times_seconds"][start])
        assert word.end == pytest.approx(alignment["character_end_times_seconds"][end - 1])


def test_raw_pcm_is_written_as_a_wav_file(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = engine_for(fake, output_format="pcm_24000").synthesize("Hello there, world.", tmp_path)
    assert speech.audio_path.suffix == ".wav"
    assert speech.audio_path.read_bytes().endswith(fake.last_audio)
    assert speech.duration == pytest.approx(len(fake.last_audio) / 2 / 24000)
    assert speech_requests(fake)[-1].query == "output_format=pcm_24000"


def test_a_normalised_alignment_still_times_every_word(fake: FakeElevenLabs, tmp_path: Path) -> None:
    fake.aligned_text = lambda text: text.replace("1999", "nineteen ninety-nine").replace("—", "-").upper()
    text = "In 1999 we — the few — said “yes”."
    speech = engine_for(fake).synthesize(text, tmp_path)
    assert [w.text for w in speech.words] == text.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= speech.duration for w in speech.words)


# -- the alignment function ------------------------------------------------------------------------

_WORD = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=8)
_GAP = st.text(st.sampled_from(" \t\n"), min_size=1, max_size=3)


@st.composite
def _texts_and_times(draw: st.DrawFn) -> tuple[str, list[float], list[float], float]:
    words = draw(st.lists(_WORD, min_size=1, max_size=12))
    gaps = draw(st.lists(_GAP, min_size=len(words) + 1, max_size=len(words) + 1))
    text = gaps[0].lstrip() if draw(st.booleans()) else gaps[0]
    for word, gap in zip(words, gaps[1:], strict=True):
        text += word + gap
    steps = draw(st.lists(st.floats(0, 0.5), min_size=len(text), max_size=len(text)))
    starts, ends, now = [], [], 0.0
    for step in steps:
        starts.append(now)
        now += step
        ends.append(now)
    duration = draw(st.floats(0, now * 1.5 + 1))
    return text, starts, ends, duration


@given(_texts_and_times())
@settings(max_examples=150, deadline=None)
def test_alignment_gives_one_ordered_timing_per_word(
    case: tuple[str, list[float], list[float], float],
) -> None:
    text, starts, ends, duration = case
    words = words_from_alignment(text, list(text), starts, ends, duration=duration)
    assert [w.text for w in words] == text.split()
    previous = 0.0
    for word, (start, _) in zip(words, word_spans(text), strict=True):
        assert previous <= word.start <= word.end <= duration
        assert word.start == min(max(starts[start], previous), duration)
        previous = word.start


@given(_texts_and_times(), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_alignment_of_other_characters_still_times_every_word(
    case: tuple[str, list[float], list[float], float], rng: Random
) -> None:
    text, _, _, duration = case
    # Drop, change and add characters, as a normaliser would.
    characters = [c.upper() if rng.random() < 0.3 else c for c in text if rng.random() > 0.2]
    characters += ["x"] * rng.randint(0, 5)
    times = sorted(rng.uniform(0, duration + 1) for _ in characters)
    words = words_from_alignment(text, characters, times, [t + 0.05 for t in times], duration=duration)
    assert [w.text for w in words] == text.split()
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert all(0 <= w.start <= w.end <= duration for w in words)


def test_alignment_interpolates_words_it_did_not_align() -> None:
    text = "one two three four"
    alignment = even_alignment("one", 1.0)  # only the first word was aligned
    words = words_from_alignment(
        text,
        alignment["characters"],
        alignment["character_start_times_seconds"],
        alignment["character_end_times_seconds"],
        duration=4.0,
    )
    assert [w.text for w in words] == text.split()
    assert words[0].start == pytest.approx(0.05)
    assert words[1].start >= words[0].end
    assert words[-1].end <= 4.0


def test_alignment_refuses_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="alignment"):
        words_from_alignment("a b", ["a", " ", "b"], [0.0, 0.1], [0.1, 0.2, 0.3], duration=1.0)


# -- failures ------------------------------------------------------------------------------------


def test_a_refused_key_needs_credentials_without_showing_it(fake: FakeElevenLabs, tmp_path: Path) -> None:
    key = "sk_wrong_key_1234567890"
    with pytest.raises(NeedsCredentials) as info:
        engine_for(fake, key=key).synthesize(TEXT, tmp_path)
    assert "refused the API key" in info.value.message
    assert key not in info.value.message
    assert info.value.provider == "elevenlabs"
    assert not list(tmp_path.iterdir())


def test_a_missing_key_needs_credentials(fake: FakeElevenLabs, tmp_path: Path) -> None:
    with pytest.raises(NeedsCredentials, match="ELEVENLABS_API_KEY"):
        engine_for(fake, key=None).synthesize(TEXT, tmp_path)
    assert not fake.requests


def test_a_rate_limit_then_success_is_retried(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    engine.voices()
    fake.fail_next(rate_limited("0"))
    speech = engine.synthesize(TEXT, tmp_path)
    assert len(speech_requests(fake)) == 2
    assert speech.audio_path.read_bytes() == fake.last_audio


def test_a_lasting_rate_limit_is_retryable_with_its_wait(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    engine.voices()
    fake.fail_next(rate_limited("30"))  # longer than a retry may wait: raised at once
    with pytest.raises(RetryableProviderError) as info:
        engine.synthesize(TEXT, tmp_path)
    assert info.value.retry_after == 30
    assert "rate limit" in info.value.message
    assert len(speech_requests(fake)) == 1


def test_repeated_server_errors_are_retryable(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    engine.voices()
    fake.fail_next(server_error(), server_error(), server_error())
    with pytest.raises(RetryableProviderError, match="HTTP 500"):
        engine.synthesize(TEXT, tmp_path)
    assert len(speech_requests(fake)) == 3  # the first try and max_retries=2 more


def test_a_timeout_is_retryable(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake, timeout="0.2", max_retries="0")
    engine.voices()
    fake.fail_next(Reply(200, {"audio_base64": ""}, delay=0.6))
    with pytest.raises(RetryableProviderError, match="in time"):
        engine.synthesize(TEXT, tmp_path)


def test_a_timeout_then_success_is_retried(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake, timeout="0.2", max_retries="1")
    engine.voices()
    fake.fail_next(Reply(200, {"audio_base64": ""}, delay=0.6))
    assert engine.synthesize(TEXT, tmp_path).words


def test_an_unreachable_server_is_retryable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = ElevenLabsSpeechEngine(
        ProviderConfig(
            key=VALID_KEY, settings={**FAST, "base_url": f"http://127.0.0.1:{port}", "max_retries": "0"}
        )
    )
    assert list(engine.voices()) == list(PREMADE_VOICES)  # the list falls back to the premade voices
    with pytest.raises(RetryableProviderError, match="could not be reached"):
        engine.synthesize(TEXT, tmp_path)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, raw=b'{"audio_base64": "AAAA", "alignment": '),
        Reply(200, {"audio_base64": "%%% not base64 %%%", "alignment": even_alignment("a", 1)}),
        Reply(200, {"audio_base64": base64.b64encode(b"not audio at all" * 64).decode(), "alignment": None}),
        Reply(200, {"alignment": even_alignment(TEXT, 1.0)}),
        Reply(200, {"audio_base64": "", "alignment": even_alignment(TEXT, 1.0)}),
    ],
    ids=["malformed-json", "bad-base64", "undecodable-audio", "no-audio", "empty-audio"],
)
def test_a_malformed_answer_is_a_provider_error(fake: FakeElevenLabs, tmp_path: Path, reply: Reply) -> None:
    engine = engine_for(fake)
    engine.voices()
    fake.fail_next(reply)
    with pytest.raises(ProviderError) as info:
        engine.synthesize(TEXT, tmp_path)
    assert not isinstance(info.value, RetryableProviderError)
    assert len(speech_requests(fake)) == 1
    assert not list(tmp_path.iterdir())


def test_a_mismatched_alignment_is_a_provider_error(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    engine.voices()
    broken = {
        "characters": ["a", "b"],
        "character_start_times_seconds": [0.1],
        "character_end_times_seconds": [],
    }
    fake.fail_next(Reply(200, {"audio_base64": base64.b64encode(b"x").decode(), "alignment": broken}))
    with pytest.raises(ProviderError):
        engine.synthesize(TEXT, tmp_path)


def test_other_refusals_carry_the_api_message(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    engine.voices()
    fake.fail_next(Reply(400, {"detail": {"status": "text_too_long", "message": "The text is too long."}}))
    with pytest.raises(ProviderError, match="The text is too long"):
        engine.synthesize(TEXT, tmp_path)


@pytest.mark.parametrize(
    ("error", "kind", "retry_after"),
    [
        (ApiError(status_code=429, headers={"Retry-After": "7"}, body={}), RetryableProviderError, 7.0),
        (ApiError(status_code=503, headers={}, body="busy"), RetryableProviderError, None),
        (
            ApiError(status_code=403, body={"detail": {"status": "missing_permissions"}}),
            NeedsCredentials,
            None,
        ),
        (ApiError(status_code=401, body={"detail": {"status": "quota_exceeded"}}), ProviderError, None),
        (ApiError(status_code=404, body={"detail": {"message": "no such voice"}}), ProviderError, None),
        (ApiError(status_code=200, body="<html>"), ProviderError, None),
    ],
)
def test_translate_error(error: ApiError, kind: type, retry_after: float | None) -> None:
    translated = translate_error(error, key="secret-key")
    assert type(translated) is kind
    assert getattr(translated, "retry_after", None) == retry_after
    assert "secret-key" not in translated.message


# -- what it sends ---------------------------------------------------------------------------------


def test_the_key_voice_and_model_reach_the_request(fake: FakeElevenLabs, tmp_path: Path) -> None:
    adam = DEFAULT_VOICES[1]["voice_id"]
    engine = engine_for(fake, voice=adam, model="eleven_turbo_v2_5")
    speech = engine.synthesize(TEXT, tmp_path)
    request = speech_requests(fake)[-1]
    assert request.headers["xi-api-key"] == VALID_KEY
    assert request.path == f"/v1/text-to-speech/{adam}/with-timestamps"
    assert request.query == "output_format=mp3_44100_128"
    assert request.json()["model_id"] == "eleven_turbo_v2_5"
    assert request.json()["text"] == TEXT
    assert "voice_settings" not in request.json() or request.json()["voice_settings"] is None
    assert speech.voice == adam
    assert engine.voices()[0].id == adam  # the configured voice is the default


@pytest.mark.parametrize(("rate", "speed"), [(1.5, 1.2), (0.5, 0.7), (0.9, 0.9)])
def test_the_rate_becomes_a_clamped_speed(
    fake: FakeElevenLabs, tmp_path: Path, rate: float, speed: float
) -> None:
    engine_for(fake).synthesize(TEXT, tmp_path, rate=rate)
    assert speech_requests(fake)[-1].json()["voice_settings"]["speed"] == pytest.approx(speed)


def test_a_rate_outside_the_port_range_is_refused(fake: FakeElevenLabs, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        engine_for(fake).synthesize(TEXT, tmp_path, rate=3.0)


def test_a_voice_can_be_named(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = engine_for(fake).synthesize(TEXT, tmp_path, voice="adam")
    assert speech.voice == DEFAULT_VOICES[1]["voice_id"]


def test_a_base_url_ending_in_v1_works(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = ElevenLabsSpeechEngine(
        ProviderConfig(key=VALID_KEY, settings={**FAST, "base_url": fake.url + "/v1/"})
    )
    assert engine.synthesize(TEXT, tmp_path).words


@pytest.mark.parametrize(
    "bad",
    [{"timeout": "soon"}, {"max_retries": "-1"}, {"output_format": "ulaw_8000"}, {"retry_backoff": "x"}],
)
def test_bad_settings_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as info:
        ElevenLabsSpeechEngine(ProviderConfig(key=VALID_KEY, settings=bad))
    assert info.value.field == next(iter(bad))


# -- voices and keys -------------------------------------------------------------------------------


def test_voices_come_from_the_api_once(fake: FakeElevenLabs) -> None:
    engine = engine_for(fake)
    voices = engine.voices()
    assert [v.id for v in voices] == [v["voice_id"] for v in DEFAULT_VOICES]
    assert voices[0].name == "Rachel"
    assert voices[-1].language == "fr"
    assert engine.voices() is voices
    assert len(fake.requests_to(r"^/v1/voices$")) == 1


def test_voices_fall_back_to_the_premade_ones_and_pass_any_id(fake: FakeElevenLabs, tmp_path: Path) -> None:
    engine = engine_for(fake)
    fake.fail_next(server_error())
    assert list(engine.voices()) == list(PREMADE_VOICES)
    clone = DEFAULT_VOICES[2]["voice_id"]
    assert engine.synthesize(TEXT, tmp_path, voice=clone).voice == clone


def test_verify_key_reports_the_usage(fake: FakeElevenLabs) -> None:
    message = ElevenLabsSpeechEngine.verify_key(
        ProviderConfig(key=VALID_KEY, settings={"base_url": fake.url})
    )
    assert message.startswith("Key works")
    assert "1,234 of 10,000 characters" in message and "creator" in message
    assert fake.requests[-1].path == "/v1/user"


def test_verify_key_refuses_a_bad_key(fake: FakeElevenLabs) -> None:
    with pytest.raises(NeedsCredentials) as info:
        ElevenLabsSpeechEngine.verify_key(ProviderConfig(key="bad-key-999", settings={"base_url": fake.url}))
    assert "bad-key-999" not in info.value.message


def test_verify_key_accepts_a_key_that_cannot_read_the_account(fake: FakeElevenLabs) -> None:
    fake.fail_next(Reply(401, {"detail": {"status": "missing_permissions", "message": "needs user_read"}}))
    message = ElevenLabsSpeechEngine.verify_key(
        ProviderConfig(key=VALID_KEY, settings={"base_url": fake.url})
    )
    assert message.startswith("Key works (3 voices")


def test_the_plugin_registers_the_engine_with_its_settings_env() -> None:
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "oasis_plugins.elevenlabs"})
    info = catalog.info(PortKind.SPEECH, "elevenlabs")
    assert info.factory is ElevenLabsSpeechEngine
    assert info.needs_key == "elevenlabs" and info.key_env_var == "ELEVENLABS_API_KEY"
    assert info.settings_from(
        {"ELEVENLABS_BASE_URL": "http://127.0.0.1:9", "OASIS_ELEVENLABS_VOICE": ""}
    ) == {"base_url": "http://127.0.0.1:9"}
