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

Optional class attribute:

``settings_env``
    A mapping of setting name → environment variable (``{"base_url":
    "OPENAI_BASE_URL", "model": "OASIS_OPENAI_MODEL"}``). The SDK and the
    server fill :attr:`ProviderConfig.settings` from those variables when they
    are set, so a provider still never reads the environment itself; settings
    given explicitly win.

Optional class attribute, for a provider that keeps files in the Oasis data folder:

``data_folders``
    A mapping of setting name → folder name under the data folder
    (``{"voices_dir": "voices"}``). The SDK and the server set each such
    setting to that folder inside their data folder (``OASIS_DATA_DIR``)
    unless the environment or an explicit setting gives another.

Optional instance attribute:

``usage``
    A ``dict[str, int]`` of what the instance has used since it was built
    (``input_tokens``, ``output_tokens``, ``characters``, ``images``,
    ``requests``). Language models keep it, since their answers are plain
    values; the server shows it with what it generated. Speech engines and
    visual sources report usage on their results (``Speech.usage``,
    ``Visuals.usage``) instead.

An optional classmethod, for a provider that needs a key:

``verify_key(config: ProviderConfig) -> str``
    Check ``config.key`` with the cheapest real call the service offers (list
    models, read the account) and return a short message for the key's owner
    (``"Key works (organisation: acme)"``). Raise
    :class:`~oasis_core.errors.NeedsCredentials` when the service refuses the
    key, :class:`~oasis_core.errors.RetryableProviderError` for a rate limit
    (set ``retry_after``, or say "rate limit" in the message) or for a
    timeout, network failure or 5xx answer, and
    :class:`~oasis_core.errors.ProviderError` for anything else. Never put the
    key in a message. Set an HTTP timeout of your own; the server also gives
    up after 20 seconds. The server calls it for ``POST /api/keys/test`` on
    the first installed provider whose ``needs_key`` names that key and that
    defines it; without one, a key test reports that nothing can check it. It
    is not part of any port, so a provider without it is still complete.

An optional classmethod, for a provider that works only once something is installed:

``available(config: ProviderConfig) -> bool``
    Whether the provider is ready with ``config`` (a local engine finds a
    model in the folder its settings name). Among the providers that need no
    key, one that defines ``available`` and answers ``True`` is the port's
    default ahead of those without it (something installed on purpose wins
    over a built-in fallback); one that answers ``False`` is never the
    default (:meth:`~oasis_core.catalog.ProviderCatalog.default_id`). It must
    be quick (it runs whenever a default is chosen) and must not raise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from attrs import field, frozen

from oasis_core.errors import InvalidInput


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

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        """The setting ``name`` as a finite number of at least ``minimum`` (``default`` when unset).

        Raises :class:`~oasis_core.errors.InvalidInput` naming the setting otherwise.
        """
        raw = self.setting(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= minimum):
            raise InvalidInput(
                f"The setting {name!r} must be a number of at least {minimum:g}, not {raw!r}", field=name
            )
        return value

    def whole(self, name: str, default: int, *, minimum: int = 0) -> int:
        """The setting ``name`` as a whole number of at least ``minimum`` (``default`` when unset).

        Raises :class:`~oasis_core.errors.InvalidInput` naming the setting otherwise.
        """
        raw = self.setting(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise InvalidInput(
                f"The setting {name!r} must be a whole number of at least {minimum}, not {raw!r}", field=name
            )
        return value


@runtime_checkable
class Provider(Protocol):
    """The attributes every provider class declares (see the module docs).

    A keyed provider may also define the optional classmethod ``verify_key``
    described there; it is deliberately not a member of this protocol.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    needs_key: ClassVar[str | None]
    key_env_var: ClassVar[str | None]
