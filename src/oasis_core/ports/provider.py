"""What every provider has in common, whatever port it serves.

A provider is a class. Oasis builds one instance per use with a
:class:`ProviderConfig` holding the key and settings for that use (a user's own
key on a server, the environment's key in the SDK), so a provider never reads
keys or settings from globals or the environment itself.

Class attributes every provider declares:

``id``
    Short, lower-case, unique within its port (``"openai"``, ``"espeak"``).
``name``
    Human-readable name shown in listings.
``needs_key``
    ``None``, or the name of the key it needs (``"openai"``): Oasis refuses to
    build it without one and tells the user which key to add.
``key_env_var``
    The environment variable the SDK and the server fall back to for that key
    (``"OPENAI_API_KEY"``), or ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from attrs import field, frozen


def _freeze(settings: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(settings or {})


@frozen
class ProviderConfig:
    """Everything a provider instance is given: a key, settings and a cache folder.

    ``settings`` holds provider-specific options as strings (``base_url``,
    ``model``, ``voice`` …); :meth:`setting` reads one with a default.
    ``cache_dir`` is a folder the provider may keep files in between calls
    (generated images, downloaded voices); ``None`` means no cache.
    """

    key: str | None = field(default=None, repr=False)
    settings: Mapping[str, str] = field(factory=dict, converter=_freeze)
    cache_dir: Path | None = None

    def setting(self, name: str, default: str | None = None) -> str | None:
        """The setting ``name``, or ``default`` when it is missing or empty."""
        value = self.settings.get(name)
        return value if value else default


@runtime_checkable
class Provider(Protocol):
    """The attributes every provider class declares (see the module docs)."""

    id: ClassVar[str]
    name: ClassVar[str]
    needs_key: ClassVar[str | None]
    key_env_var: ClassVar[str | None]
