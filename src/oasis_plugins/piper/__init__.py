"""The ``piper`` plugin: natural neural voices offline with Piper (``pip install 'oasis-video[piper]'``).

Modules: :mod:`~oasis_plugins.piper.voices` finds installed voices and reads
their licences, :mod:`~oasis_plugins.piper.catalogue` installs voices from
Piper's catalogue (or a mirror), :mod:`~oasis_plugins.piper.models` loads each
model once per process, :mod:`~oasis_plugins.piper.alignment` turns phoneme
durations into word timings, and :mod:`~oasis_plugins.piper.speech_engine` is
the provider.
"""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.piper.speech_engine import PiperSpeechEngine

__all__ = ["PiperSpeechEngine", "register_speech_engines"]


@hookimpl
def register_speech_engines(register: Register) -> None:
    """Register :class:`PiperSpeechEngine`."""
    register(PiperSpeechEngine)
