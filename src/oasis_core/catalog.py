"""The provider catalog: which providers exist for each port, and building one.

Services and entry points ask the catalog, never pluggy. The catalog is filled
by :func:`oasis_core.plugins.load_catalog`, or by hand in tests
(:meth:`ProviderCatalog.add`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from oasis_core.errors import NeedsCredentials, PluginError, UnknownProvider
from oasis_core.ports import BlobStore, Compositor, LanguageModel, Publisher, SpeechEngine, VisualSource
from oasis_core.ports.provider import ProviderConfig


class PortKind(enum.StrEnum):
    """The ports a provider can serve, named as the API names them."""

    LLM = "llm"
    SPEECH = "speech"
    VISUALS = "visuals"
    COMPOSITOR = "compositor"
    STORAGE = "storage"
    PUBLISHER = "publishers"


PORT_PROTOCOLS: dict[PortKind, type[Any]] = {
    PortKind.LLM: LanguageModel,
    PortKind.SPEECH: SpeechEngine,
    PortKind.VISUALS: VisualSource,
    PortKind.COMPOSITOR: Compositor,
    PortKind.STORAGE: BlobStore,
    PortKind.PUBLISHER: Publisher,
}

HOOK_KINDS: dict[str, PortKind] = {
    "register_language_models": PortKind.LLM,
    "register_speech_engines": PortKind.SPEECH,
    "register_visual_sources": PortKind.VISUALS,
    "register_compositors": PortKind.COMPOSITOR,
    "register_blob_stores": PortKind.STORAGE,
    "register_publishers": PortKind.PUBLISHER,
}
"""Which port each registration hook fills."""

DISTRIBUTION = "oasis-video"
"""The distribution that ships ``oasis_core`` and the built-in plugins (what ``pip install`` names)."""

_ID = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
_PROVIDER_ATTRIBUTES = ("id", "name", "needs_key", "key_env_var")


def port_members(kind: PortKind) -> tuple[str, ...]:
    """The methods and attributes a provider class of ``kind`` must have."""
    protocol = PORT_PROTOCOLS[kind]
    members: set[str] = set()
    for klass in protocol.__mro__:
        if klass is object or not getattr(klass, "_is_protocol", False):
            continue
        members.update(name for name in vars(klass) if not name.startswith("_"))
        members.update(getattr(klass, "__annotations__", {}))
    return tuple(sorted(members))


@frozen
class ProviderInfo:
    """One registered provider: its port, id, class and where it came from."""

    kind: PortKind
    id: str
    name: str
    factory: type[Any]
    needs_key: str | None
    key_env_var: str | None
    plugin: str
    plugin_version: str | None = None

    @property
    def settings_env(self) -> Mapping[str, str]:
        """Setting name → environment variable, from the class's optional ``settings_env``."""
        declared = getattr(self.factory, "settings_env", None)
        return dict(declared) if isinstance(declared, Mapping) else {}

    def settings_from(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The settings this provider takes from ``environ`` (only variables that are set and not empty)."""
        return {name: environ[var] for name, var in self.settings_env.items() if environ.get(var)}

    def data_settings(self, data_dir: Path) -> dict[str, str]:
        """Setting name → a folder under ``data_dir``, from the class's optional ``data_folders``.

        The SDK and the server start from these and let the environment and
        explicit settings override them (a voices folder under the data folder).
        """
        declared = getattr(self.factory, "data_folders", None)
        if not isinstance(declared, Mapping):
            return {}
        return {name: str(data_dir / folder) for name, folder in declared.items()}

    def available(self, config: ProviderConfig) -> bool:
        """Whether the provider is ready to be the default with ``config``.

        Asks the class's optional ``available(config)`` classmethod (a local
        engine whose models are installed); a provider without one is always
        ready.
        """
        check = getattr(self.factory, "available", None)
        return True if check is None else bool(check(config))

    @property
    def description(self) -> str:
        """The first line of the provider class's docstring."""
        return (self.factory.__doc__ or "").strip().splitlines()[0] if self.factory.__doc__ else ""


@frozen
class MissingProvider:
    """A built-in provider that is not installed because its plugin's extra is missing."""

    kind: PortKind
    id: str
    plugin: str
    extra: str
    missing_module: str

    @property
    def install_command(self) -> str:
        """The command that installs it: ``pip install 'oasis-video[openai]'``."""
        return f"pip install '{DISTRIBUTION}[{self.extra}]'"


@define
class ProviderCatalog:
    """All registered providers, by port; builds provider instances on request."""

    _entries: dict[PortKind, dict[str, ProviderInfo]] = field(
        factory=lambda: {kind: {} for kind in PortKind}, alias="entries"
    )
    _missing: dict[tuple[PortKind, str], MissingProvider] = field(factory=dict, alias="missing")

    def add(
        self, kind: PortKind, factory: type[Any], *, plugin: str = "local", version: str | None = None
    ) -> None:
        """Register ``factory`` (a provider class) for ``kind``, checking it against the port.

        Raises :class:`PluginError` when the class lacks a member of the port,
        has a malformed id, or takes an id another plugin already registered.
        """
        missing = [
            name for name in (*_PROVIDER_ATTRIBUTES, *port_members(kind)) if not hasattr(factory, name)
        ]
        if missing:
            raise PluginError(
                f"Plugin {plugin!r}: {getattr(factory, '__name__', factory)!r} is not a {kind.value} provider; "
                f"it lacks {', '.join(missing)}"
            )
        provider_id = factory.id
        if not isinstance(provider_id, str) or not _ID.match(provider_id):
            raise PluginError(f"Plugin {plugin!r}: provider id {provider_id!r} must match {_ID.pattern}")
        existing = self._entries[kind].get(provider_id)
        if existing is not None:
            raise PluginError(
                f"Plugin {plugin!r} registers {kind.value} provider {provider_id!r}, "
                f"which plugin {existing.plugin!r} already registered"
            )
        self._entries[kind][provider_id] = ProviderInfo(
            kind, provider_id, factory.name, factory, factory.needs_key, factory.key_env_var, plugin, version
        )
        self._missing.pop((kind, provider_id), None)

    def add_missing(self, entry: MissingProvider) -> None:
        """Record a built-in provider that cannot load without its extra (listed, never chosen)."""
        if entry.id not in self._entries[entry.kind]:
            self._missing[(entry.kind, entry.id)] = entry

    def missing(self) -> tuple[MissingProvider, ...]:
        """The built-in providers whose extra is not installed, in the order they were found."""
        return tuple(self._missing.values())

    def remove(self, kind: PortKind, provider_id: str) -> None:
        """Forget a provider (tests use this to undo :meth:`add`)."""
        self._entries[kind].pop(provider_id, None)

    def providers(self, kind: PortKind) -> tuple[ProviderInfo, ...]:
        """The providers of ``kind``, in registration order (built-ins first)."""
        return tuple(self._entries[kind].values())

    def ids(self, kind: PortKind) -> tuple[str, ...]:
        """The ids of the providers of ``kind``."""
        return tuple(self._entries[kind])

    def info(self, kind: PortKind, provider_id: str) -> ProviderInfo:
        """The provider ``provider_id`` of ``kind``, or :class:`UnknownProvider` listing the valid ids.

        For a built-in provider whose extra is missing, the error gives the ``pip install`` line instead.
        """
        try:
            return self._entries[kind][provider_id]
        except KeyError:
            missing = self._missing.get((kind, provider_id))
            if missing is not None:
                raise UnknownProvider(
                    f"The {provider_id} {kind.value} provider is not installed; "
                    f"install it with: {missing.install_command}",
                    field=kind.value,
                ) from None
            raise UnknownProvider(
                f"No {kind.value} provider {provider_id!r} is installed",
                field=kind.value,
                choices=self.ids(kind),
            ) from None

    def default_id(
        self, kind: PortKind, config: Callable[[ProviderInfo], ProviderConfig] | None = None
    ) -> str:
        """The provider used when none is chosen, among those that need no key (registration order):

        the first that has an ``available`` classmethod (see
        :mod:`oasis_core.ports.provider`) and is ready with its ``config`` (a
        local engine whose model the user installed: installed on purpose wins),
        else the first without one (a built-in that always works). ``config``
        gives the config a provider would be built with (the SDK's and the
        server's own); without it no provider counts as ready.
        """
        entries = self.providers(kind)
        keyless = [entry for entry in entries if entry.needs_key is None]
        if config is not None:
            for entry in keyless:
                if hasattr(entry.factory, "available") and entry.available(config(entry)):
                    return entry.id
        for entry in keyless:
            if not hasattr(entry.factory, "available"):
                return entry.id
        if entries:
            return entries[0].id
        raise UnknownProvider(f"No {kind.value} provider is installed", field=kind.value)

    def create(
        self, kind: PortKind, provider_id: str | None = None, config: ProviderConfig | None = None
    ) -> Any:
        """Build an instance of provider ``provider_id`` (default: :meth:`default_id`) with ``config``.

        Raises :class:`NeedsCredentials` when the provider needs a key and
        ``config`` holds none; the message says which key to add.
        """
        entry = self.info(kind, provider_id or self.default_id(kind))
        config = config or ProviderConfig()
        if entry.needs_key and not config.key:
            hint = f" or set {entry.key_env_var}" if entry.key_env_var else ""
            raise NeedsCredentials(
                f"The {entry.id} {kind.value} provider needs a {entry.needs_key} API key: save one{hint}",
                provider=entry.id,
            )
        return entry.factory(config)

    def plugins(self) -> dict[str, list[ProviderInfo]]:
        """The providers grouped by the plugin that registered them."""
        grouped: dict[str, list[ProviderInfo]] = {}
        for entry in self:
            grouped.setdefault(entry.plugin, []).append(entry)
        return grouped

    def __iter__(self) -> Iterator[ProviderInfo]:
        for kind in PortKind:
            yield from self._entries[kind].values()
