"""Speech and its transcript kept in the provider's cache folder, so speaking the same text again costs nothing.

A render that fails after its speech (an image rate limit, a lost worker) is
tried again, and a user may render the same quote twice: without a cache each
try would pay OpenAI for the same audio and transcription again. Audio is kept
under ``<cache_dir>/speech/`` by the SHA-256 of everything that shapes it
(model, voice, speed, instructions, format, text); a transcript by the SHA-256
of the audio and the transcription model. A cached file that cannot be read
or decoded counts as missing (and is removed); a cache that cannot be
written is skipped: it is a saving, never a reason for a render to fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import uuid
from collections.abc import Sequence
from pathlib import Path

from oasis_core.errors import ProviderError
from oasis_plugins.openai.speech_audio import decode_mono

Heard = list[tuple[str, float, float]]
"""A transcript's words as ``(word, start, end)`` in seconds."""


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()


def _forget(path: Path) -> None:
    with contextlib.suppress(OSError):  # its folder is not a folder, or not ours to change
        path.unlink(missing_ok=True)


class SpeechCache:
    """Audio and transcripts under ``folder`` (``None``: nothing is kept)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / name

    def _write(self, path: Path, data: bytes) -> None:
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            temporary.replace(path)
        except OSError:
            _forget(temporary)

    def audio(self, identity: Sequence[object], suffix: str) -> bytes | None:
        """The audio kept for ``identity``, or ``None``."""
        path = self._path(f"{_digest(list(identity))}{suffix}")
        if path is None or not path.is_file():
            return None
        try:
            data = path.read_bytes()
            decode_mono(data)
        except (OSError, ProviderError):
            _forget(path)
            return None
        return data

    def keep_audio(self, identity: Sequence[object], suffix: str, data: bytes) -> None:
        """Keep ``data`` as the audio of ``identity``."""
        path = self._path(f"{_digest(list(identity))}{suffix}")
        if path is not None:
            self._write(path, data)

    def _transcript_path(self, audio: bytes, model: str) -> Path | None:
        return self._path(f"{hashlib.sha256(audio).hexdigest()}-{_digest(model)[:16]}.json")

    def transcript(self, audio: bytes, model: str) -> Heard | None:
        """The words ``model`` heard in ``audio`` when they were kept, or ``None``."""
        path = self._transcript_path(audio, model)
        if path is None or not path.is_file():
            return None
        try:
            words = json.loads(path.read_text(encoding="utf-8"))["words"]
            heard = [(str(word), float(start), float(end)) for word, start, end in words]
        except (OSError, ValueError, TypeError, KeyError):
            _forget(path)
            return None
        return heard if all(math.isfinite(s) and math.isfinite(e) for _, s, e in heard) else None

    def keep_transcript(self, audio: bytes, model: str, heard: Heard) -> None:
        """Keep the words ``model`` heard in ``audio``."""
        path = self._transcript_path(audio, model)
        if path is not None:
            self._write(path, json.dumps({"words": heard}, ensure_ascii=False).encode())


__all__ = ["Heard", "SpeechCache"]
