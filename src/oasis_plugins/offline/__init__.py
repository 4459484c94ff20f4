"""The ``offline`` plugin: a language model that needs no key and no network.

It picks real, public-domain quotes from a collection bundled with Oasis and writes
visual prompts from their words.
"""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.offline.language_model import OfflineLanguageModel

__all__ = ["OfflineLanguageModel", "register_language_models"]


@hookimpl
def register_language_models(register: Register) -> None:
    """Register :class:`OfflineLanguageModel` with Oasis."""
    register(OfflineLanguageModel)
