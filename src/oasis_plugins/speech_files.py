"""Writing synthesised speech to a WAV file, the way every speech engine that makes raw samples does."""

from __future__ import annotations

import os
import tempfile
import uuid
import wave
from pathlib import Path

import numpy as np


def write_wav(samples: np.ndarray, sample_rate: int, out_dir: Path, *, engine: str) -> Path:
    """Write mono 16-bit ``samples`` to a new ``speech-<engine>-<random>.wav`` in ``out_dir``; its path.

    The file is written under a temporary name and renamed when complete, so a
    reader never sees half a file and a failure leaves nothing behind.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"speech-{engine}-{uuid.uuid4().hex}.wav"
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".speech-{engine}-", suffix=".wav.part")
    temporary_path = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(samples.astype("<i2").tobytes())
        temporary_path.replace(final)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    return final
