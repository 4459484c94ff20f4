"""The ``elevenlabs`` speech engine: natural voices from ElevenLabs, through its official SDK."""

from __future__ import annotations

import base64
import binascii
import io
import math
import os
import tempfile
import time
import uuid
import wave
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import av
import httpx
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.parse_error import ParsingError
from elevenlabs.core.request_options import RequestOptions
from elevenlabs.types import VoiceSettings

from oasis_core.domain.media import Speech, WordTiming
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice, speaking_rate
from oasis_plugins.elevenlabs.alignment import words_from_alignment

PROVIDER_ID = "elevenlabs"
"""The provider id used in the errors this module raises."""

DEFAULT_MODEL = "eleven_multilingual_v2"
"""The model used when the ``model`` setting is not given."""
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
"""The audio format asked for when the ``output_format`` setting is not given."""
DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for one HTTP answer when the ``timeout`` setting is not given."""
DEFAULT_MAX_RETRIES = 2
"""Retries of a rate-limited, timed-out or failed (5xx) request when ``max_retries`` is not given."""
DEFAULT_RETRY_BACKOFF = 1.0
"""Seconds before the first retry when the answer names no wait (doubled for each next one)."""
MAX_RETRY_WAIT = 20.0
"""The longest wait before a retry; a rate limit asking for more is raised at once instead."""
VERIFY_TIMEOUT = 15.0
"""The longest HTTP timeout :meth:`ElevenLabsSpeechEngine.verify_key` uses."""
MIN_SPEED, MAX_SPEED = 0.7, 1.2
"""The ``voice_settings.speed`` range ElevenLabs accepts; ``rate`` is clamped into it."""

PREMADE_VOICES: tuple[Voice, ...] = (
    Voice("21m00Tcm4TlvDq8ikWAM", "Rachel"),
    Voice("pNInz6obpgDQGcFmaJgB", "Adam"),
    Voice("EXAVITQu4vr4xnSDxMaL", "Bella"),
    Voice("ErXwobaYiN019PkySvjV", "Antoni"),
    Voice("AZnzlk1XvdvUeBnXmlld", "Domi"),
    Voice("TxGEqnHWrfWFTfGW9XjX", "Josh"),
    Voice("VR6AewLTigWG4xSOukaG", "Arnold"),
    Voice("yoZ06aMxZJJ28mfd3POQ", "Sam"),
)
"""ElevenLabs' long-standing premade voices, offered when the account's list cannot be read."""
DEFAULT_VOICE = PREMADE_VOICES[0].id
"""The voice used when neither the caller nor the ``voice`` setting names one (Rachel)."""

_EXTENSIONS = {"mp3": ".mp3", "wav": ".wav", "opus": ".opus", "pcm": ".wav"}
_MAX_CHOICES = 16
_T = TypeVar("_T")


# -- settings ----------------------------------------------------------------


def _base_url(raw: str | None) -> str | None:
    """The API's root URL without a trailing ``/`` or ``/v1`` (the SDK adds ``v1/…`` itself)."""
    if raw is None:
        return None
    url = raw.strip().rstrip("/")
    return url.removesuffix("/v1") or None


def _output_format(raw: str) -> tuple[str, int | None]:
    """The file extension for an ``output_format`` and, for raw PCM, its sample rate."""
    codec, _, rest = raw.partition("_")
    extension = _EXTENSIONS.get(codec)
    rate = rest.split("_")[0]
    if extension is None or not rate.isdigit():
        raise InvalidInput(
            f"The ElevenLabs output format {raw!r} is not supported",
            field="output_format",
            choices=("mp3_44100_128", "mp3_22050_32", "wav_44100", "pcm_24000", "opus_48000_64"),
        )
    return extension, int(rate) if codec == "pcm" else None


# -- errors --------------------------------------------------------------------
def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (only the delta-seconds form)."""
    raw = _header(headers, "retry-after")
    try:
        seconds = float(raw) if raw is not None else math.nan
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _detail(body: Any) -> tuple[str | None, str | None]:
    """The ``status`` and ``message`` of an ElevenLabs error body, when it has them."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        status, message = detail.get("status"), detail.get("message")
        return (status if isinstance(status, str) else None, message if isinstance(message, str) else None)
    if isinstance(detail, str):
        return None, detail
    if isinstance(detail, list):  # a validation error: [{"loc": [...], "msg": "..."}]
        messages = [str(item.get("msg")) for item in detail if isinstance(item, dict) and item.get("msg")]
        return None, "; ".join(messages) or None
    if isinstance(body, str) and body.strip() and len(body) <= 300:
        return None, body.strip()
    return None, None


def _scrub(message: str, key: str | None) -> str:
    return message.replace(key, "[key]") if key and len(key) >= 4 else message


def translate_error(exc: BaseException, *, key: str | None = None) -> ProviderError:
    """The Oasis error for an exception the ElevenLabs SDK (or its HTTP client) raised.

    ``key`` is removed from any message taken from an answer. Rate limits,
    timeouts, network failures and 5xx answers are
    :class:`~oasis_core.errors.RetryableProviderError`; a refused key is
    :class:`~oasis_core.errors.NeedsCredentials`; anything else is
    :class:`~oasis_core.errors.ProviderError`.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ApiError):
        status = exc.status_code
        code, message = _detail(exc.body)
        said = f": {_scrub(message, key)}" if message else ""
        if status is None or 200 <= status < 300:
            return ProviderError(
                f"ElevenLabs sent an answer that is not valid JSON (HTTP {status})", provider=PROVIDER_ID
            )
        if status == 401 and code == "quota_exceeded":
            return ProviderError(
                f"ElevenLabs refused the request: the account's character quota is used up{said}",
                provider=PROVIDER_ID,
            )
        if status in (401, 403):
            return NeedsCredentials(
                f"ElevenLabs refused the API key (HTTP {status}{', ' + code if code else ''}); "
                "check it or add a new one (ELEVENLABS_API_KEY)",
                provider=PROVIDER_ID,
            )
        if status == 429:
            wait = _retry_after(exc.headers)
            after = f"; try again in {wait:g} seconds" if wait else ""
            return RetryableProviderError(
                f"ElevenLabs' rate limit was reached{said}{after}", provider=PROVIDER_ID, retry_after=wait
            )
        if status >= 500 or status == 408:
            return RetryableProviderError(
                f"ElevenLabs failed (HTTP {status}){said}; try again shortly",
                provider=PROVIDER_ID,
                retry_after=_retry_after(exc.headers),
            )
        return ProviderError(f"ElevenLabs refused the request (HTTP {status}){said}", provider=PROVIDER_ID)
    if isinstance(exc, ParsingError):
        return ProviderError(
            f"ElevenLabs sent an answer of an unexpected shape: {exc.cause}", provider=PROVIDER_ID
        )
    if isinstance(exc, httpx.TimeoutException):
        return RetryableProviderError("ElevenLabs did not answer in time; try again", provider=PROVIDER_ID)
    if isinstance(exc, httpx.TransportError):
        return RetryableProviderError(
            f"ElevenLabs could not be reached ({type(exc).__name__}); check the network and try again",
            provider=PROVIDER_ID,
        )
    if isinstance(exc, ValueError | TypeError | AttributeError | KeyError):
        return ProviderError(f"ElevenLabs sent an answer that could not be read: {exc}", provider=PROVIDER_ID)
    return ProviderError(f"ElevenLabs failed: {type(exc).__name__}: {exc}", provider=PROVIDER_ID)


# -- audio -----------------------------------------------------------------------
def decoded_duration(data: bytes) -> float:
    """The length, in seconds, of the audio in ``data`` as PyAV decodes it; :class:`ProviderError` if it cannot."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise ProviderError("ElevenLabs sent a file without audio", provider=PROVIDER_ID)
            stream = container.streams.audio[0]
            samples = 0
            rate = 0
            for frame in container.decode(stream):
                samples += frame.samples
                rate = frame.sample_rate or rate
    except av.FFmpegError as exc:
        raise ProviderError(
            f"ElevenLabs sent audio that cannot be decoded: {exc}", provider=PROVIDER_ID
        ) from exc
    if samples == 0 or rate <= 0:
        raise ProviderError("ElevenLabs sent audio without any sound in it", provider=PROVIDER_ID)
    return samples / rate


def _wav_from_pcm(data: bytes, sample_rate: int) -> bytes:
    """Raw mono 16-bit little-endian PCM wrapped in a WAV header."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(data[: len(data) - len(data) % 2])
    return buffer.getvalue()


def _write_atomically(data: bytes, out_dir: Path, suffix: str) -> Path:
    """Write ``data`` to a new file in ``out_dir``, atomically, and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"speech-elevenlabs-{uuid.uuid4().hex}{suffix}"
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=".speech-elevenlabs-", suffix=f"{suffix}.part")
    temporary_path = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        temporary_path.replace(final)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    return final


def _voice_from_api(item: Any) -> Voice | None:
    voice_id = getattr(item, "voice_id", None)
    if not isinstance(voice_id, str) or not voice_id:
        return None
    name = getattr(item, "name", None)
    labels = getattr(item, "labels", None) or {}
    language = labels.get("language") if isinstance(labels, dict) else None
    if not isinstance(language, str) or not language:
        verified = getattr(item, "verified_languages", None) or []
        language = next(
            (getattr(v, "language", None) for v in verified if getattr(v, "language", None)), "en"
        )
    return Voice(voice_id, name if isinstance(name, str) and name else voice_id, str(language))


class ElevenLabsSpeechEngine:
    """Natural, expressive speech from ElevenLabs' API, with per-character timestamps (needs a key).

    Settings (all optional): ``base_url`` (the API's root, default
    ``https://api.elevenlabs.io``), ``model`` (default
    ``eleven_multilingual_v2``), ``voice`` (the default voice id),
    ``output_format`` (default ``mp3_44100_128``), ``timeout`` (seconds per
    HTTP answer, default 60), ``max_retries`` (default 2) and ``retry_backoff``
    (seconds before a first retry the answer names no wait for, default 1).
    """

    id: ClassVar[str] = "elevenlabs"
    name: ClassVar[str] = "ElevenLabs"
    needs_key: ClassVar[str | None] = "elevenlabs"
    key_env_var: ClassVar[str | None] = "ELEVENLABS_API_KEY"
    settings_env: ClassVar[Mapping[str, str]] = {
        "base_url": "ELEVENLABS_BASE_URL",
        "model": "OASIS_ELEVENLABS_MODEL",
        "voice": "OASIS_ELEVENLABS_VOICE",
    }

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        self._key = config.key
        self._base_url = _base_url(config.setting("base_url"))
        self._model = config.setting("model", DEFAULT_MODEL) or DEFAULT_MODEL
        self._default_voice = (config.setting("voice") or "").strip() or None
        self._output_format = (config.setting("output_format", DEFAULT_OUTPUT_FORMAT) or "").strip()
        self._extension, self._pcm_rate = _output_format(self._output_format)
        self._timeout = config.number("timeout", DEFAULT_TIMEOUT, minimum=0.001)
        self._max_retries = config.whole("max_retries", DEFAULT_MAX_RETRIES)
        self._backoff = config.number("retry_backoff", DEFAULT_RETRY_BACKOFF, minimum=0.0)
        self._voices: tuple[Voice, ...] | None = None
        self._voices_from_api = False

    # -- plumbing ----------------------------------------------------------------
    def _require_key(self) -> str:
        if not self._key:
            raise NeedsCredentials(
                "ElevenLabs needs an API key: add one, or set ELEVENLABS_API_KEY", provider=self.id
            )
        return self._key

    def _call(self, operation: Callable[[ElevenLabs, RequestOptions], _T], *, retries: int) -> _T:
        """Run ``operation`` with a fresh client, retrying transient failures; raise Oasis errors."""
        key = self._require_key()
        options: RequestOptions = {"max_retries": 0}  # retries are ours: they also cover timeouts
        attempt = 0
        with httpx.Client(timeout=self._timeout, follow_redirects=True) as http:
            client = ElevenLabs(
                api_key=key, base_url=self._base_url, timeout=self._timeout, httpx_client=http
            )
            while True:
                try:
                    return operation(client, options)
                except Exception as exc:
                    error = translate_error(exc, key=key)
                    if not isinstance(error, RetryableProviderError) or attempt >= retries:
                        raise error from exc
                    wait = self._backoff * 2**attempt if error.retry_after is None else error.retry_after
                    if wait > MAX_RETRY_WAIT:
                        raise error from exc
                    time.sleep(wait)
                    attempt += 1

    # -- the port ------------------------------------------------------------------
    def voices(self) -> Sequence[Voice]:
        """The account's voices, the default first; ElevenLabs' premade voices if they cannot be listed."""
        if self._voices is None:
            try:
                listed = self._call(
                    lambda client, options: client.voices.get_all(request_options=options), retries=0
                )
                found = [
                    voice for voice in map(_voice_from_api, getattr(listed, "voices", None) or []) if voice
                ]
            except ProviderError:
                found = []
            self._voices_from_api = bool(found)
            voices = list({v.id: v for v in found}.values()) if found else list(PREMADE_VOICES)
            wanted = self._default_voice or DEFAULT_VOICE
            voices.sort(key=lambda v: v.id != wanted)  # stable: the account's order otherwise
            self._voices = tuple(voices)
        return self._voices

    def _resolve_voice(self, requested: str | None) -> str:
        """The id of the voice to use (an id, or a name of the account's voices), or :class:`InvalidInput`."""
        wanted = (requested or "").strip() or self._default_voice
        voices = self.voices()
        if wanted is None:
            return voices[0].id
        if any(v.id == wanted for v in voices):
            return wanted
        named = [v.id for v in voices if v.name.casefold() == wanted.casefold()]
        if len(named) == 1:
            return named[0]
        if not self._voices_from_api:  # the list is only a guess: let ElevenLabs judge the id
            return wanted
        listed = [v.id for v in voices[:_MAX_CHOICES]]
        extra = [f"… ({len(voices)} voices in all)"] if len(voices) > len(listed) else []
        raise InvalidInput(
            f"The ElevenLabs account has no voice {wanted!r}", field="voice", choices=[*listed, *extra]
        )

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Speak ``text`` into a new audio file in ``out_dir`` (MP3 by default), with a timing for every word.

        Raises :class:`InvalidInput` for empty text, an unknown voice or a rate
        outside 0.5–2.0 (ElevenLabs itself takes 0.7–1.2, so the rate is
        clamped into that), :class:`NeedsCredentials` when the key is missing
        or refused, :class:`RetryableProviderError` for rate limits, timeouts
        and server failures that outlast the retries, and
        :class:`ProviderError` for anything else.
        """
        if not text or text.isspace():
            raise InvalidInput("There is no text to speak", field="text")
        speed = min(max(speaking_rate(rate), MIN_SPEED), MAX_SPEED)
        self._require_key()
        voice_id = self._resolve_voice(voice)
        settings = VoiceSettings(speed=speed) if speed != 1.0 else None

        def convert(client: ElevenLabs, options: RequestOptions) -> Any:
            extra: dict[str, Any] = {"voice_settings": settings} if settings is not None else {}
            return client.text_to_speech.convert_with_timestamps(
                voice_id,
                text=text,
                model_id=self._model,
                output_format=self._output_format,
                request_options=options,
                **extra,
            )

        answer = self._call(convert, retries=self._max_retries)
        audio = self._audio(answer)
        duration = decoded_duration(audio)
        words = self._words(answer, text, duration)
        path = _write_atomically(audio, Path(out_dir), self._extension)
        return Speech(path, duration, words, voice=voice_id, usage={"characters": len(text), "requests": 1})

    def _audio(self, answer: Any) -> bytes:
        encoded = getattr(answer, "audio_base_64", None)
        if not isinstance(encoded, str) or not encoded:
            raise ProviderError("ElevenLabs' answer holds no audio", provider=self.id)
        try:
            audio = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderError(f"ElevenLabs' audio is not valid base64: {exc}", provider=self.id) from exc
        return _wav_from_pcm(audio, self._pcm_rate) if self._pcm_rate else audio

    def _words(self, answer: Any, text: str, duration: float) -> tuple[WordTiming, ...]:
        alignment = getattr(answer, "alignment", None) or getattr(answer, "normalized_alignment", None)
        try:
            characters = list(alignment.characters)  # type: ignore[union-attr]
            starts = list(alignment.character_start_times_seconds)  # type: ignore[union-attr]
            ends = list(alignment.character_end_times_seconds)  # type: ignore[union-attr]
            return words_from_alignment(text, characters, starts, ends, duration=duration)
        except (AttributeError, TypeError, ValueError) as exc:
            raise ProviderError(
                f"ElevenLabs' answer holds no usable character timestamps ({exc})", provider=self.id
            ) from exc

    # -- keys ------------------------------------------------------------------------
    @classmethod
    def verify_key(cls, config: ProviderConfig) -> str:
        """Read the account behind ``config.key`` (``GET /v1/user``) and say how much of its quota is used.

        A key without the permission to read the account is tried on the voice
        list instead.
        """
        engine = cls(config)
        engine._timeout = min(engine._timeout, VERIFY_TIMEOUT)
        try:
            user = engine._call(lambda client, options: client.user.get(request_options=options), retries=0)
        except NeedsCredentials as refused:
            body = getattr(refused.__cause__, "body", None)
            if _detail(body)[0] != "missing_permissions":
                raise
            listed = engine._call(
                lambda client, options: client.voices.get_all(request_options=options), retries=0
            )
            count = len(getattr(listed, "voices", None) or [])
            return f"Key works ({count} voices; it may not read the account's usage)"
        subscription = getattr(user, "subscription", None)
        used = getattr(subscription, "character_count", None)
        limit = getattr(subscription, "character_limit", None)
        tier = getattr(subscription, "tier", None)
        details = []
        if isinstance(tier, str) and tier:
            details.append(f"plan: {tier}")
        if isinstance(used, int) and isinstance(limit, int):
            details.append(f"{used:,} of {limit:,} characters used this period")
        return f"Key works ({', '.join(details)})" if details else "Key works"
