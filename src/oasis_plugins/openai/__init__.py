"""The ``openai`` plugin: a language model, a visual source and a speech engine on the official ``openai`` SDK.

All three need an OpenAI API key (``OPENAI_API_KEY``). The language model also
works with any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp)
through the ``base_url`` setting.
"""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.openai.language_model import OpenAILanguageModel
from oasis_plugins.openai.speech_engine import OpenAISpeechEngine
from oasis_plugins.openai.visual_source import OpenAIVisualSource

__all__ = [
    "OpenAILanguageModel",
    "OpenAISpeechEngine",
    "OpenAIVisualSource",
    "register_language_models",
    "register_speech_engines",
    "register_visual_sources",
]


@hookimpl
def register_language_models(register: Register) -> None:
    """Register :class:`OpenAILanguageModel`."""
    register(OpenAILanguageModel)


@hookimpl
def register_visual_sources(register: Register) -> None:
    """Register :class:`OpenAIVisualSource`."""
    register(OpenAIVisualSource)


@hookimpl
def register_speech_engines(register: Register) -> None:
    """Register :class:`OpenAISpeechEngine`."""
    register(OpenAISpeechEngine)
