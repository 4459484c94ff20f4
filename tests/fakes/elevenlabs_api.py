"""A fake ElevenLabs API on 127.0.0.1, speaking the wire format the official SDK expects.

Routes: ``POST /v1/text-to-speech/{voice_id}/with-timestamps`` (real MP3 audio,
encoded with PyAV, whose length grows with the text, and a character alignment
spread evenly over the audio), ``GET /v1/voices`` and ``GET /v1/user``. Every
request must carry a valid ``xi-api-key``; a wrong one gets ElevenLabs' 401
body. :func:`rate_limited` and :func:`unauthorized` build the error replies to
queue with :meth:`FakeApi.fail_next`.
"""

from __future__ import annotations

import base64
import io
import math
import threading
from collections.abc import Callable, Iterable
from typing import Any

import av
import numpy as np
from tests.fakes.http_server import FakeApi, Recorded, Reply

VALID_KEY = "el-test-key-0123456789"
"""The key the fake accepts unless told otherwise."""

DEFAULT_VOICES: tuple[dict[str, Any], ...] = (
    {
        "voice_id": "21m00Tcm4TlvDq8ikWAM",
        "name": "Rachel",
        "category": "premade",
        "labels": {"accent": "american", "gender": "female", "use_case": "narration"},
    },
    {
        "voice_id": "pNInz6obpgDQGcFmaJgB",
        "name": "Adam",
        "category": "premade",
        "labels": {"accent": "american", "gender": "male", "use_case": "narration"},
    },
    {
        "voice_id": "cl0nedV01ce0000000001",
        "name": "My Clone",
        "category": "cloned",
        "labels": {"language": "fr"},
    },
)
"""The voices ``GET /v1/voices`` lists unless told otherwise."""

SAMPLE_RATE = 44100
LEAD_IN = 0.05
"""Seconds of audio before the first character starts."""


def unauthorized() -> Reply:
    """ElevenLabs' answer to a wrong key."""
    return Reply(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})


def rate_limited(retry_after: str = "0") -> Reply:
    """ElevenLabs' answer when too many requests run at once, with a ``Retry-After`` header."""
    return Reply(
        429,
        {
            "detail": {
                "status": "too_many_concurrent_requests",
                "message": "Too many concurrent requests. Your plan allows 2 at a time.",
            }
        },
        headers={"Retry-After": retry_after},
    )


def server_error() -> Reply:
    """A 500 with the body ElevenLabs sends for an internal failure."""
    return Reply(500, {"detail": {"status": "internal_error", "message": "An internal error occurred."}})


def encode_mp3(seconds: float, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A mono MP3 (128 kb/s, libmp3lame) of a quiet 220 Hz tone lasting ``seconds``."""
    count = max(1, round(seconds * sample_rate))
    samples = (0.2 * np.sin(2 * math.pi * 220 * np.arange(count) / sample_rate)).astype(np.float32)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=sample_rate, layout="mono")
        stream.bit_rate = 128_000
        frame_size = 1152
        for offset in range(0, count, frame_size):
            chunk = samples[offset : offset + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = offset
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def encode_pcm(seconds: float, sample_rate: int) -> bytes:
    """Raw mono 16-bit little-endian PCM of a quiet tone lasting ``seconds``."""
    count = max(1, round(seconds * sample_rate))
    wave = 6000 * np.sin(2 * math.pi * 220 * np.arange(count) / sample_rate)
    return wave.astype("<i2").tobytes()


def even_alignment(characters: str, seconds: float) -> dict[str, list[Any]]:
    """An alignment giving each character an equal share of ``[LEAD_IN, seconds - LEAD_IN]``."""
    step = max(seconds - 2 * LEAD_IN, 0.01) / max(len(characters), 1)
    starts = [round(LEAD_IN + index * step, 3) for index in range(len(characters))]
    return {
        "characters": list(characters),
        "character_start_times_seconds": starts,
        "character_end_times_seconds": [round(start + step, 3) for start in starts],
    }


class FakeElevenLabs(FakeApi):
    """The fake ElevenLabs API (see the module docs).

    ``seconds_per_character`` sets how long the speech of a text lasts (divided
    by ``voice_settings.speed``); ``aligned_text``, when set, turns the text
    into the characters the alignment reports (to mimic normalisation).
    ``sent_audio`` and ``sent_alignments`` keep the audio bytes and the
    alignment of every speech answer, in order.
    """

    routes = (
        ("POST", r"/v1/text-to-speech/(?P<voice_id>[^/]+)/with-timestamps", "_speech"),
        ("GET", r"/v1/voices", "_voices"),
        ("GET", r"/v1/user", "_user"),
    )

    def __init__(
        self,
        *,
        keys: Iterable[str] = (VALID_KEY,),
        voices: Iterable[dict[str, Any]] = DEFAULT_VOICES,
        seconds_per_character: float = 0.05,
    ) -> None:
        super().__init__()
        self.keys = set(keys)
        self.voices = list(voices)
        self.seconds_per_character = seconds_per_character
        self.aligned_text: Callable[[str], str] | None = None
        self.character_count = 1234
        self.character_limit = 10000
        self.tier = "creator"
        self.sent_audio: list[bytes] = []
        self.sent_alignments: list[dict[str, list[Any]]] = []
        self._audio_lock = threading.Lock()

    def reset(self) -> None:
        """Forget requests, queued failures, sent answers and ``aligned_text`` (to reuse a running fake)."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        with self._audio_lock:
            self.sent_audio.clear()
            self.sent_alignments.clear()
        self.aligned_text = None

    @property
    def last_audio(self) -> bytes:
        """The audio bytes of the last speech answer."""
        with self._audio_lock:
            return self.sent_audio[-1]

    @property
    def last_alignment(self) -> dict[str, list[Any]]:
        """The alignment of the last speech answer."""
        with self._audio_lock:
            return self.sent_alignments[-1]

    def _authorized(self, request: Recorded) -> bool:
        return request.headers.get("xi-api-key") in self.keys

    def _speech(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        voice_id = match.group("voice_id")
        if voice_id not in {voice["voice_id"] for voice in self.voices}:
            return Reply(
                404,
                {
                    "detail": {
                        "status": "voice_not_found",
                        "message": f"A voice with the voice_id {voice_id} was not found.",
                    }
                },
            )
        body = request.json()
        text = body.get("text") or ""
        if not text.strip():
            return Reply(400, {"detail": {"status": "invalid_text", "message": "Text must not be empty."}})
        speed = float((body.get("voice_settings") or {}).get("speed") or 1.0)
        seconds = max(0.3, len(text) * self.seconds_per_character / speed) + 2 * LEAD_IN
        output_format = dict(part.split("=", 1) for part in request.query.split("&") if "=" in part).get(
            "output_format", "mp3_44100_128"
        )
        if output_format.startswith("mp3_"):
            audio = encode_mp3(seconds)
        elif output_format.startswith("pcm_"):
            audio = encode_pcm(seconds, int(output_format.split("_")[1]))
        else:
            return Reply(
                400,
                {"detail": {"status": "invalid_output_format", "message": f"{output_format} is not faked"}},
            )
        characters = self.aligned_text(text) if self.aligned_text else text
        alignment = even_alignment(characters, seconds)
        with self._audio_lock:
            self.sent_audio.append(audio)
            self.sent_alignments.append(alignment)
        return Reply(
            200,
            {
                "audio_base64": base64.b64encode(audio).decode("ascii"),
                "alignment": alignment,
                "normalized_alignment": alignment,
            },
        )

    def _voices(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        return Reply(200, {"voices": self.voices})

    def _user(self, request: Recorded, match: Any) -> Reply:
        if not self._authorized(request):
            return unauthorized()
        return Reply(
            200,
            {
                "user_id": "user-1",
                "subscription": {
                    "tier": self.tier,
                    "character_count": self.character_count,
                    "character_limit": self.character_limit,
                    "status": "active",
                },
                "is_new_user": False,
                "xi_api_key": None,
            },
        )
