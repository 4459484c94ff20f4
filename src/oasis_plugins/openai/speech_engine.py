"""``OpenAISpeechEngine``: natural voices from OpenAI's speech API, timed word by word by its transcription API.

OpenAI's ``POST /v1/audio/speech`` answers with audio only. To caption each
word, the engine sends that audio to ``POST /v1/audio/transcriptions``
(``whisper-1``, ``verbose_json`` with word timestamps) and ties the words it
hears back to the script as written (:mod:`oasis_plugins.openai.speech_alignment`).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

import openai

from oasis_core.domain.catalogue import Category
from oasis_core.domain.media import Speech, WordTiming
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice, find_voice, speaking_rate
from oasis_plugins.openai.client import COMMON_SETTINGS_ENV, PROVIDER_ID, build_client, openai_errors
from oasis_plugins.openai.speech_alignment import align_transcript
from oasis_plugins.openai.speech_audio import decode_mono, join_parts, upload_form
from oasis_plugins.openai.speech_cache import Heard, SpeechCache
from oasis_plugins.openai.speech_tone import instructions_for

DEFAULT_SPEECH_MODEL = "gpt-4o-mini-tts"
"""The speech model used when the ``speech_model`` setting is not given (it takes ``instructions``)."""
DEFAULT_FALLBACK_MODEL = "tts-1"
"""The model tried when the speech model is refused (not found, not allowed); ``speech_fallback_model``."""
DEFAULT_TRANSCRIPTION_MODEL = "whisper-1"
"""The only OpenAI transcription model that gives word timestamps (``verbose_json``)."""
DEFAULT_VOICE = "coral"
"""The voice used when neither the caller nor the ``voice`` setting names one (every model has it)."""
DEFAULT_FORMAT = "mp3"
"""The audio format asked for when the ``speech_format`` setting is not given."""
DEFAULT_TIMEOUT = 120.0
"""Seconds one speech or transcription request may take when ``speech_timeout`` is not given."""
MAX_INPUT = 4096
"""The most characters one speech request may carry; longer texts are split between sentences."""

VOICES: tuple[str, ...] = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
)  # fmt: skip
"""OpenAI's built-in voices for ``gpt-4o-mini-tts`` (its API reference lists these thirteen)."""
TTS1_VOICES: frozenset[str] = frozenset(
    {"alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"}
)
"""The voices ``tts-1`` and ``tts-1-hd`` have (OpenAI's text-to-speech guide)."""
FORMATS: tuple[str, ...] = ("mp3", "wav")
"""The ``speech_format`` values the engine asks for: both decode with PyAV and upload for transcription."""

_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_MODEL_CODES = {"model_not_found", "unsupported_model"}


def takes_instructions(model: str) -> bool:
    """Whether ``model`` accepts ``instructions`` (``tts-1`` and ``tts-1-hd`` refuse them)."""
    return not model.startswith("tts-1")


def voices_of(model: str) -> tuple[str, ...]:
    """The built-in voices ``model`` speaks with."""
    return tuple(v for v in VOICES if v in TTS1_VOICES) if model.startswith("tts-1") else VOICES


def split_for_requests(text: str, limit: int = MAX_INPUT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, split after sentences where it can, else between words.

    The parts' words, in order, are exactly ``text.split()``. A single word
    longer than ``limit`` raises :class:`InvalidInput`.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        pieces = [" ".join(sentence.split())]
        if len(pieces[0]) > limit:
            pieces = sentence.split()
        for piece in pieces:
            if len(piece) > limit:
                raise InvalidInput(
                    f"The text has a word of {len(piece)} characters; OpenAI speaks at most {limit} at once",
                    field="text",
                )
            if current and len(current) + 1 + len(piece) > limit:
                parts.append(current)
                current = ""
            current = f"{current} {piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _model_refused(exc: BaseException | None) -> bool:
    """Whether OpenAI refused the model itself (unknown, retired or not open to this project)."""
    if isinstance(exc, openai.NotFoundError | openai.PermissionDeniedError):
        return True
    if isinstance(exc, openai.BadRequestError):
        return exc.code in _MODEL_CODES or exc.param == "model"
    return False


def _write_atomically(data: bytes, out_dir: Path, suffix: str) -> Path:
    """Write ``data`` to a new file in ``out_dir``, atomically, and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"speech-openai-{uuid.uuid4().hex}{suffix}"
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=".speech-openai-", suffix=f"{suffix}.part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temporary).replace(final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return final


class OpenAISpeechEngine:
    """Speaks with OpenAI's voices (``gpt-4o-mini-tts``, in the category's mood) and times every word.

    Settings (all optional; the id ``openai`` shares them with the language
    model and the visual source): ``speech_model`` (default
    ``gpt-4o-mini-tts``), ``speech_fallback_model`` (``tts-1``; ``none`` for
    no fallback), ``voice`` (default ``coral``), ``speech_format`` (``mp3`` or
    ``wav``), ``speech_instructions`` (one tone for every video, instead of the
    category's), ``transcription_model`` (``whisper-1``), ``speech_timeout``
    (seconds, default 120), ``base_url``, ``max_retries``, ``organization`` and
    ``project``. ``Speech.usage`` counts ``characters`` spoken, ``requests``,
    ``transcription_seconds`` and ``cached_requests`` (requests the cache in
    ``cache_dir/speech`` saved: speaking the same text the same way again is free).
    """

    id: ClassVar[str] = PROVIDER_ID
    name: ClassVar[str] = "OpenAI voices"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"
    takes_category: ClassVar[bool] = True
    settings_env: ClassVar[Mapping[str, str]] = {
        **COMMON_SETTINGS_ENV,
        "speech_model": "OASIS_OPENAI_SPEECH_MODEL",
        "voice": "OASIS_OPENAI_VOICE",
        "speech_timeout": "OASIS_OPENAI_SPEECH_TIMEOUT",
    }

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.model = config.setting("speech_model", DEFAULT_SPEECH_MODEL) or DEFAULT_SPEECH_MODEL
        fallback = config.setting("speech_fallback_model", DEFAULT_FALLBACK_MODEL) or DEFAULT_FALLBACK_MODEL
        self.fallback = None if fallback.casefold() == "none" or fallback == self.model else fallback
        self.default_voice = config.setting("voice", DEFAULT_VOICE) or DEFAULT_VOICE
        if self.default_voice not in voices_of(self.model):
            raise InvalidInput(
                f"OpenAI's {self.model} has no voice {self.default_voice!r}",
                field="voice",
                choices=voices_of(self.model),
            )
        self.format = config.setting("speech_format", DEFAULT_FORMAT) or DEFAULT_FORMAT
        if self.format not in FORMATS:
            raise InvalidInput(
                f"The OpenAI speech format {self.format!r} is not supported",
                field="speech_format",
                choices=FORMATS,
            )
        self.instructions = config.setting("speech_instructions")
        self.transcription_model = config.setting("transcription_model", DEFAULT_TRANSCRIPTION_MODEL)
        if str(self.transcription_model).startswith(("gpt-4o", "gpt-transcribe")):
            raise InvalidInput(
                f"OpenAI's {self.transcription_model} gives no word timestamps; use whisper-1",
                field="transcription_model",
                choices=(DEFAULT_TRANSCRIPTION_MODEL,),
            )
        self._client = build_client(config, default_timeout=DEFAULT_TIMEOUT, timeout_setting="speech_timeout")
        self._cache = SpeechCache(Path(config.cache_dir) / "speech" if config.cache_dir is not None else None)
        self._use_fallback = False

    # -- the port ------------------------------------------------------------------------------------
    def voices(self) -> Sequence[Voice]:
        """OpenAI's built-in voices for the speech model, the default first."""
        names = sorted(voices_of(self.model), key=lambda name: name != self.default_voice)
        return tuple(Voice(name, name.capitalize()) for name in names)

    def synthesize(
        self,
        text: str,
        out_dir: Path,
        *,
        voice: str | None = None,
        rate: float = 1.0,
        category: Category | None = None,
    ) -> Speech:
        """Speak ``text`` into a new audio file in ``out_dir`` (MP3 by default), with a timing for every word.

        ``category`` sets the tone ``gpt-4o-mini-tts`` is asked for (see
        :mod:`oasis_plugins.openai.speech_tone`). ``rate`` (0.5–2.0) is sent as
        ``speed``. A text over 4,096 characters is spoken in several requests,
        split between sentences, and joined into one WAV file. Raises
        :class:`InvalidInput` for empty text, an unknown voice or a bad rate,
        :class:`NeedsCredentials` for a missing or refused key,
        :class:`RetryableProviderError` for rate limits, timeouts and server
        failures that outlast the SDK's retries, :class:`ProviderError` otherwise.
        """
        if not text or text.isspace():
            raise InvalidInput("There is no text to speak", field="text")
        speed = speaking_rate(rate)
        found = find_voice(self.voices(), (voice or "").strip() or self.default_voice)
        if found is None:
            raise InvalidInput(f"OpenAI has no voice {voice!r}", field="voice", choices=voices_of(self.model))
        wanted = found[0].id
        instructions = self.instructions or instructions_for(category)
        usage = {"characters": 0, "requests": 0, "transcription_seconds": 0, "cached_requests": 0}
        parts = split_for_requests(text)
        spoken = [self._speak(part, wanted, speed, instructions, usage) for part in parts]
        extension = f".{self.format}"
        if len(spoken) == 1:
            audio = spoken[0][0]
            samples, sample_rate = decode_mono(audio)
            lengths = [len(samples) / sample_rate]
        else:
            audio, lengths = join_parts([data for data, _ in spoken])
            extension = ".wav"
        duration = sum(lengths)
        words: list[WordTiming] = []
        seconds = 0.0
        offset = 0.0
        for part, (data, _), length in zip(parts, spoken, lengths, strict=True):
            heard, billed = self._transcribe(data, length, usage)
            seconds += billed
            for word in align_transcript(part, heard, duration=length):
                start = min(word.start + offset, duration)
                words.append(WordTiming(word.text, start, min(max(word.end + offset, start), duration)))
            offset += length
        usage["transcription_seconds"] = math.ceil(seconds)
        path = _write_atomically(audio, Path(out_dir), extension)
        used_voice = spoken[-1][1]
        return Speech(path, duration, tuple(words), voice=used_voice, usage=usage)

    # -- requests ------------------------------------------------------------------------------------
    def _speak(
        self, part: str, voice: str, speed: float, instructions: str, usage: dict[str, int]
    ) -> tuple[bytes, str]:
        """The audio of ``part`` and the voice that spoke it, trying the fallback model if the model is refused."""
        if not self._use_fallback:
            try:
                return self._request_speech(self.model, part, voice, speed, instructions, usage), voice
            except ProviderError as error:
                if self.fallback is None or not _model_refused(error.__cause__):
                    raise
                self._use_fallback = True
        assert self.fallback is not None
        fallback_voice = voice if voice in voices_of(self.fallback) else DEFAULT_VOICE
        return self._request_speech(
            self.fallback, part, fallback_voice, speed, instructions, usage
        ), fallback_voice

    def _request_speech(
        self, model: str, part: str, voice: str, speed: float, instructions: str, usage: dict[str, int]
    ) -> bytes:
        options: dict[str, Any] = {}
        if takes_instructions(model):
            options["instructions"] = instructions
        if speed != 1.0:
            options["speed"] = speed
        identity = [model, voice, part, self.format, options]
        cached = self._cache.audio(identity, f".{self.format}")
        if cached is not None:
            usage["cached_requests"] += 1
            return cached
        with openai_errors(key=self.config.key, action="speaking the text"):
            usage["requests"] += 1
            response = self._client.audio.speech.create(
                model=model,
                voice=cast(Any, voice),
                input=part,
                response_format=cast(Any, self.format),
                **options,
            )
            data = response.read()
        usage["characters"] += len(part)
        if not data:
            raise ProviderError("OpenAI answered the speech request without audio", provider=PROVIDER_ID)
        self._cache.keep_audio(identity, f".{self.format}", data)
        return data

    def _transcribe(self, data: bytes, length: float, usage: dict[str, int]) -> tuple[Heard, float]:
        """The words heard in ``data`` (``length`` seconds long), and the seconds OpenAI billed for it.

        Billed seconds are what the answer's ``usage`` says, else ``length``; 0 from the cache.
        """
        model = str(self.transcription_model)
        cached = self._cache.transcript(data, model)
        if cached is not None:
            usage["cached_requests"] += 1
            return cached, 0.0
        upload, suffix = upload_form(data, f".{self.format}")
        mime = "audio/mpeg" if suffix == ".mp3" else "audio/wav"
        with openai_errors(key=self.config.key, action="timing the spoken words"):
            usage["requests"] += 1
            result = self._client.audio.transcriptions.create(
                file=(f"speech{suffix}", upload, mime),
                model=cast(Any, model),
                response_format="verbose_json",
                timestamp_granularities=["word"],
            )
            if isinstance(cast(object, result), str):
                raise ProviderError(
                    "The OpenAI API answered the transcription with something other than JSON",
                    provider=PROVIDER_ID,
                )
            heard = [(str(w.word), float(w.start), float(w.end)) for w in result.words or []]
            billed = getattr(result.usage, "seconds", None) if result.usage is not None else None
        self._cache.keep_transcript(data, model, heard)
        return heard, float(billed) if isinstance(billed, int | float) else length

    def close(self) -> None:
        """Close the HTTP connections of the SDK client."""
        self._client.close()


__all__ = [
    "DEFAULT_FALLBACK_MODEL",
    "DEFAULT_SPEECH_MODEL",
    "DEFAULT_VOICE",
    "MAX_INPUT",
    "VOICES",
    "OpenAISpeechEngine",
    "split_for_requests",
]
