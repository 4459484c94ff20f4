"""Loading Piper voice models: once per process, with alignments, on a sensible number of cores.

Loading a medium voice takes about half a second to a few seconds (reading
63 MB, patching the graph so it reports how long each phoneme lasts, and
building the ONNX session), far longer than speaking a sentence. So each model
is loaded once per process and kept, keyed by its path and thread count, and
every engine instance (the server builds one per render) shares it. A lock
per key makes two threads asking for the same model at once load it once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from oasis_core.errors import ProviderError

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

MAX_DEFAULT_THREADS = 4
"""Beyond about four threads one voice's inference gains little; the rest is left to the encoder."""

_loaded: dict[tuple[Path, int], PiperVoice] = {}
_locks: dict[tuple[Path, int], threading.Lock] = {}
_guard = threading.Lock()
loads = 0
"""How many models this process has loaded (tests check that a second render loads none)."""


def default_threads() -> int:
    """The threads one inference uses when the ``threads`` setting is unset: the cores, up to four."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_THREADS))


def _session_model(model_path: Path) -> str | bytes:
    """The model for onnxruntime: patched in memory to output phoneme durations when ``onnx`` is there.

    Without ``onnx`` (``piper-tts`` installed without its ``alignment`` extra)
    the plain model is used, and each sentence's phonemes share its time evenly.
    """
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        log.warning(
            "The onnx package is missing: word timings will be estimated; install piper-tts[alignment]"
        )
        return str(model_path)
    model = onnx.load(str(model_path))
    with contextlib.suppress(ValueError):  # already patched, or a graph without the tensor: use it as it is
        add_alignment_output(model)
    return bytes(model.SerializeToString())


def _load(model_path: Path, config_path: Path, threads: int) -> PiperVoice:
    import onnxruntime  # type: ignore[import-untyped]
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Idle inference threads sleep instead of spinning: a server shares its cores with the encoder and
    # other renders, and spinning threads steal them (several times slower on a busy machine).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(
        _session_model(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=config)


def load_voice(model_path: Path, config_path: Path, *, threads: int) -> PiperVoice:
    """The loaded model at ``model_path`` (with ``config_path``), loading it on first use.

    Raises :class:`ProviderError` when the files cannot be read or are not a Piper model.
    """
    global loads
    key = (model_path.resolve(), threads)
    with _guard:
        voice = _loaded.get(key)
        if voice is not None:
            return voice
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        voice = _loaded.get(key)
        if voice is None:
            try:
                voice = _load(model_path, config_path, threads)
            except (
                Exception
            ) as exc:  # onnx and onnxruntime raise their own Exception subclasses for a bad file
                raise ProviderError(
                    f"The Piper voice {model_path.name} could not be loaded ({type(exc).__name__}); "
                    "reinstall it with `oasis voices install`",
                    provider="piper",
                ) from exc
            with _guard:
                _loaded[key] = voice
                loads += 1
    return voice


def forget_all() -> None:
    """Drop every loaded model (tests use this to start cold)."""
    with _guard:
        _loaded.clear()
        _locks.clear()
