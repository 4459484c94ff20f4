"""The audio side of OpenAI speech: measuring what the API sent, joining parts, shrinking an upload."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence

import av
import numpy as np

from oasis_core.errors import ProviderError
from oasis_plugins.openai.client import PROVIDER_ID

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
"""The largest file the transcription endpoint takes (OpenAI: "File uploads are currently limited to 25 MB")."""

_UPLOAD_RATE = 16000
"""Whisper listens at 16 kHz: an upload shrunk to mono MP3 at this rate loses nothing it hears."""


def decode_mono(data: bytes, *, rate: int | None = None) -> tuple[np.ndarray, int]:
    """The audio in ``data`` as mono 16-bit samples and their rate (resampled to ``rate`` when given).

    Raises :class:`ProviderError` when PyAV cannot decode it or it holds no sound.
    """
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise ProviderError("OpenAI sent speech without an audio stream", provider=PROVIDER_ID)
            stream = container.streams.audio[0]
            target = rate or stream.rate or 24000
            resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
            for frame in container.decode(stream):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as exc:
        raise ProviderError(
            f"OpenAI sent speech that cannot be decoded: {exc}", provider=PROVIDER_ID
        ) from exc
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
    if samples.size == 0:
        raise ProviderError("OpenAI sent speech without any sound in it", provider=PROVIDER_ID)
    return samples, target


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono 16-bit ``samples`` at ``rate`` as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def join_parts(parts: Sequence[bytes]) -> tuple[bytes, list[float]]:
    """The audio files ``parts`` one after the other as one WAV, and each part's length in seconds."""
    first, rate = decode_mono(parts[0])
    decoded = [first, *(decode_mono(part, rate=rate)[0] for part in parts[1:])]
    return wav_bytes(np.concatenate(decoded), rate), [len(samples) / rate for samples in decoded]


def upload_form(data: bytes, extension: str) -> tuple[bytes, str]:
    """The bytes and file extension to send for transcription: ``data``, or a small MP3 of it over 25 MB."""
    if len(data) <= MAX_UPLOAD_BYTES:
        return data, extension
    samples, rate = decode_mono(data, rate=_UPLOAD_RATE)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = 32000
        for start in range(0, len(samples), 1152 * 16):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1152 * 16].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    shrunk = buffer.getvalue()
    if len(shrunk) > MAX_UPLOAD_BYTES:
        raise ProviderError(
            "The speech is too long to transcribe for word timings (over 25 MB even as a small MP3)",
            provider=PROVIDER_ID,
        )
    return shrunk, ".mp3"


__all__ = ["MAX_UPLOAD_BYTES", "decode_mono", "join_parts", "upload_form", "wav_bytes"]
