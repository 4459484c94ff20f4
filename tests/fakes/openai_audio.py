"""The audio routes of the fake OpenAI API: ``POST /v1/audio/speech`` and ``POST /v1/audio/transcriptions``.

:class:`AudioRoutes` is mixed into :class:`tests.fakes.openai_api.FakeOpenAI`.
Speech answers with real audio (MP3, WAV or raw PCM at 24 kHz mono, as OpenAI
sends): a 220 Hz tone for each word, its length growing with the word, silence
between words. The fake remembers, by the SHA-256 of the audio it sent, when
each word was spoken; a transcription of that same audio answers those words
and times (after :attr:`AudioRoutes.heard_as` changes the text, as a real
transcriber writes numbers, casing and punctuation its own way). Audio it did
not make is transcribed as silence. Both routes check their parameters as
strictly as OpenAI does; each rule names its source.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import math
import re
import threading
import wave
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from tests.fakes.http_server import Recorded, Reply

SAMPLE_RATE = 24000
"""OpenAI's speech audio is 24 kHz mono (its ``pcm`` format is documented as 24 kHz 16-bit)."""
LEAD_IN = 0.1
SECONDS_PER_CHARACTER = 0.055
GAP = 0.06

# The API reference of POST /v1/audio/speech: models, voices, formats, 4096 characters, speed 0.25–4.
SPEECH_MODELS = ("gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "tts-1", "tts-1-hd")
VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
)  # fmt: skip
# OpenAI's text-to-speech guide: tts-1 and tts-1-hd have a smaller set of voices.
TTS1_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
SPEECH_FIELDS = {"model", "input", "voice", "instructions", "response_format", "speed", "stream_format"}
MAX_INPUT = 4096

# The API reference of POST /v1/audio/transcriptions: models, file types, 25 MB, formats per model.
TRANSCRIPTION_MODELS = (
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-transcribe",
    "gpt-4o-transcribe-diarize",
)
FILE_TYPES = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
MAX_UPLOAD = 25 * 1024 * 1024


def _invalid(
    message: str, *, param: str | None, code: str | None = "invalid_value", status: int = 400
) -> Reply:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return Reply(status, body)


def plain_words(text: str) -> list[str]:
    """What a transcriber writes for ``text`` by default: its words without surrounding punctuation."""
    words = [re.sub(r"^[^\w]+|[^\w]+$", "", word) for word in text.split()]
    return [word for word in words if word]


def tone_with_gaps(words: list[str], speed: float) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """16-bit samples of a tone per word (silence between), and each word's ``(word, start, end)``."""
    pieces = [np.zeros(round(LEAD_IN * SAMPLE_RATE), dtype=np.int16)]
    times: list[tuple[str, float, float]] = []
    now = LEAD_IN
    for word in words:
        length = max(0.12, len(word) * SECONDS_PER_CHARACTER) / speed
        count = round(length * SAMPLE_RATE)
        t = np.arange(count) / SAMPLE_RATE
        pieces.append((0.3 * 32767 * np.sin(2 * math.pi * 220 * t)).astype(np.int16))
        times.append((word, now, now + count / SAMPLE_RATE))
        now += count / SAMPLE_RATE
        gap = round(GAP / speed * SAMPLE_RATE)
        pieces.append(np.zeros(gap, dtype=np.int16))
        now += gap / SAMPLE_RATE
    pieces.append(np.zeros(round(0.1 * SAMPLE_RATE), dtype=np.int16))
    return np.concatenate(pieces), times


def encode(samples: np.ndarray, response_format: str) -> bytes:
    """``samples`` (24 kHz mono, 16-bit) as OpenAI sends them in ``response_format`` (mp3, wav or pcm)."""
    if response_format == "pcm":
        return samples.astype("<i2").tobytes()
    if response_format == "wav":
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(samples.astype("<i2").tobytes())
        return buffer.getvalue()
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = 64000
        for start in range(0, len(samples), 1152 * 8):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1152 * 8].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = SAMPLE_RATE
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def audio_seconds(data: bytes) -> float:
    """The length of the audio in ``data`` as PyAV decodes it (0 when it cannot)."""
    try:
        with av.open(io.BytesIO(data)) as container:
            samples, rate = 0, 0
            for frame in container.decode(audio=0):
                samples += frame.samples
                rate = frame.sample_rate
    except (av.FFmpegError, IndexError):
        return 0.0
    return samples / rate if rate else 0.0


def form_fields(request: Recorded) -> dict[str, list[tuple[str | None, bytes]]]:
    """A ``multipart/form-data`` body as field name → ``[(file name, value)]``."""
    header = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + request.body)
    fields: dict[str, list[tuple[str | None, bytes]]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields.setdefault(name, []).append((part.get_filename(), payload))
    return fields


class AudioRoutes:
    """Speech and transcription handlers; see the module docs. Needs ``_refused`` from the fake."""

    audio_routes = (
        ("POST", r"/v1/audio/speech", "create_speech"),
        ("POST", r"/v1/audio/transcriptions", "create_transcription"),
    )

    _refused: Callable[[Recorded], Reply | None]
    requests_to: Callable[[str], list[Recorded]]

    def reset_audio(self) -> None:
        """Forget the audio spoken and restore the default models and transcription."""
        self._spoken_lock = getattr(self, "_spoken_lock", threading.Lock())
        with self._spoken_lock:
            self.spoken: dict[str, list[tuple[str, float, float]]] = {}
        self.speech_models = list(SPEECH_MODELS)
        """The speech models the key may use (others answer 404 ``model_not_found``)."""
        self.heard_as: Callable[[str], list[str]] = plain_words
        """How the transcriber writes the text it hears, as words (one per spoken word, or fewer)."""
        self.last_speech: bytes = b""
        self.transcription_usage = True

    def speech_requests(self) -> list[Recorded]:
        """The recorded speech requests."""
        return self.requests_to(r"/audio/speech$")

    def transcription_requests(self) -> list[Recorded]:
        """The recorded transcription requests."""
        return self.requests_to(r"/audio/transcriptions$")

    def create_speech(self, request: Recorded, match: re.Match[str]) -> Reply:
        """``POST /v1/audio/speech``: audio bytes of the requested format."""
        if (refused := self._refused(request)) is not None:
            return refused
        body = request.json()
        if not isinstance(body, dict):
            return _invalid("We could not parse the JSON body of your request.", param=None, code=None)
        unknown = sorted(set(body) - SPEECH_FIELDS)
        if unknown:  # OpenAI refuses parameters it does not know
            return _invalid(
                f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0], code=None
            )
        model = body.get("model")
        if model not in self.speech_models:
            return _invalid(
                f"The model `{model}` does not exist or you do not have access to it.",
                param=None,
                code="model_not_found",
                status=404,
            )
        text = body.get("input")
        if not isinstance(text, str) or not text:
            return _invalid("'input' is a required property", param="input", code=None)
        if len(text) > MAX_INPUT:
            return _invalid(
                f"Invalid 'input': string too long. Expected a string with maximum length {MAX_INPUT}, "
                f"but got a string with length {len(text)} instead.",
                param="input",
                code="string_above_max_length",
            )
        tts1 = str(model).startswith("tts-1")
        voices = TTS1_VOICES if tts1 else VOICES
        if body.get("voice") not in voices:
            return _invalid(
                f"Invalid value: '{body.get('voice')}'. Supported values are: {', '.join(voices)}.",
                param="voice",
            )
        if tts1 and "instructions" in body:  # "Does not work with tts-1 or tts-1-hd."
            return _invalid(
                f"Instructions are not supported for the model {model}.", param="instructions", code=None
            )
        stream_format = body.get("stream_format", "audio")
        if stream_format not in ("sse", "audio"):
            return _invalid(
                f"Invalid value: '{stream_format}'. Supported values are: sse, audio.", param="stream_format"
            )
        if tts1 and stream_format == "sse":  # "`sse` is not supported for `tts-1` or `tts-1-hd`."
            return _invalid(
                f"stream_format 'sse' is not supported for the model {model}.", param="stream_format"
            )
        if stream_format == "sse":  # valid for OpenAI, but this fake answers whole files only
            return Reply(501, {"error": {"message": "the fake cannot stream server-sent events"}})
        speed = body.get("speed", 1.0)
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
            return _invalid(
                f"Invalid 'speed': expected a number between 0.25 and 4.0, got {speed!r}.", param="speed"
            )
        response_format = body.get("response_format", "mp3")
        if response_format not in SPEECH_FORMATS:
            return _invalid(
                f"Invalid value: '{response_format}'. Supported values are: {', '.join(SPEECH_FORMATS)}.",
                param="response_format",
            )
        if response_format not in ("mp3", "wav", "pcm"):  # valid for OpenAI, but this fake makes only these
            return Reply(501, {"error": {"message": f"the fake cannot make {response_format}"}})
        samples, times = tone_with_gaps(text.split(), float(speed))
        audio = encode(samples, response_format)
        with self._spoken_lock:
            self.spoken[hashlib.sha256(audio).hexdigest()] = times
            self.last_speech = audio
        content_type = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm"}[response_format]
        return Reply(200, audio, headers={"Content-Type": content_type})

    def _heard(self, audio: bytes) -> list[tuple[str, float, float]]:
        """The words (as :attr:`heard_as` writes them) and times of audio this fake spoke; none for other audio."""
        with self._spoken_lock:
            times = self.spoken.get(hashlib.sha256(audio).hexdigest(), [])
        heard: list[tuple[str, float, float]] = []
        for word, start, end in times:
            written = self.heard_as(word)
            for index, piece in enumerate(written):  # "1990" heard as two words shares its time
                share = (end - start) / len(written)
                heard.append((piece, start + index * share, start + (index + 1) * share))
        return heard

    def create_transcription(self, request: Recorded, match: re.Match[str]) -> Reply:
        """``POST /v1/audio/transcriptions`` (multipart): ``json`` or ``verbose_json`` with word timestamps."""
        if (refused := self._refused(request)) is not None:
            return refused
        fields = form_fields(request)
        text_field = {name: values[0][1].decode() for name, values in fields.items() if values[0][0] is None}
        files = fields.get("file", [])
        if not files or files[0][0] is None:
            return _invalid("'file' is a required property", param="file", code=None)
        filename, audio = files[0]
        if len(audio) > MAX_UPLOAD:  # "File uploads are currently limited to 25 MB"
            return _invalid(
                f"Maximum content size limit ({MAX_UPLOAD}) exceeded ({len(audio)} bytes read)",
                param=None,
                code=None,
                status=413,
            )
        if str(filename).rsplit(".", 1)[-1].lower() not in FILE_TYPES:
            return _invalid(
                f"Invalid file format. Supported formats: {list(FILE_TYPES)}", param="file", code=None
            )
        model = text_field.get("model")
        if model not in TRANSCRIPTION_MODELS:
            return _invalid(
                f"The model `{model}` does not exist or you do not have access to it.",
                param=None,
                code="model_not_found",
                status=404,
            )
        response_format = text_field.get("response_format", "json")
        granularities = [value.decode() for _, value in fields.get("timestamp_granularities[]", [])]
        if response_format not in TRANSCRIPTION_FORMATS:
            return _invalid(f"Invalid value: '{response_format}'.", param="response_format")
        if model != "whisper-1" and response_format not in ("json", "text", "diarized_json"):
            # "For gpt-4o-transcribe and gpt-4o-mini-transcribe, the only supported format is json."
            return _invalid(
                f"response_format '{response_format}' is not compatible with model '{model}'. "
                "Use 'json' or 'text' instead.",
                param="response_format",
                code="unsupported_value",
            )
        if granularities and response_format != "verbose_json":
            # "response_format must be set verbose_json to use timestamp granularities."
            return _invalid(
                "timestamp_granularities requires response_format=verbose_json",
                param="timestamp_granularities",
            )
        if any(value not in ("word", "segment") for value in granularities):
            return _invalid("Invalid value for timestamp_granularities.", param="timestamp_granularities")
        seconds = audio_seconds(audio)
        if seconds <= 0:
            return _invalid(
                "The audio file could not be decoded or its format is not supported.", param="file", code=None
            )
        heard = self._heard(audio)
        text = " ".join(word for word, _, _ in heard)
        usage = {"type": "duration", "seconds": math.ceil(seconds)}
        if response_format != "verbose_json":
            return Reply(200, {"text": text, "usage": usage})
        answer: dict[str, Any] = {
            "task": "transcribe",
            "language": "english",
            "duration": seconds,
            "text": text,
        }
        if "word" in granularities:
            answer["words"] = [{"word": w, "start": round(s, 2), "end": round(e, 2)} for w, s, e in heard]
        if "segment" in granularities or not granularities:
            answer["segments"] = [
                {
                    "id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": text, "tokens": [],
                    "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.01,
                }
            ]  # fmt: skip
        if self.transcription_usage:
            answer["usage"] = usage
        return Reply(200, answer)
