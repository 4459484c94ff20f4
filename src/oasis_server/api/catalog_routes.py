"""``/api/providers`` and ``/api/plugins``: what the installed plugins offer and the choices a dashboard shows."""

from __future__ import annotations

import logging
import threading

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import Provide

from oasis_core.catalog import PortKind, ProviderCatalog, ProviderInfo
from oasis_core.domain.catalogue import CATEGORIES, STYLES
from oasis_core.domain.media import ASPECTS
from oasis_core.errors import UnknownProvider
from oasis_core.ports.provider import ProviderConfig
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.schemas import error_responses
from oasis_server.key_testing import CallTimedOut, run_with_timeout

log = logging.getLogger(__name__)

VOICES_TIMEOUT_SECONDS = 5.0
_CACHE_KEY = "oasis_provider_listing"
_cache_lock = threading.Lock()


class ProviderOut(msgspec.Struct):
    """One provider of a port.

    ``needs_key`` is the name of the key it needs (save it with ``POST
    /api/keys``) or ``null``. ``default`` marks the provider used when a
    request names none; publishers are picked by platform, so none of them is
    marked.
    """

    id: str
    name: str
    needs_key: str | None
    default: bool


class ChoiceOut(msgspec.Struct):
    """A category or a style."""

    id: str
    name: str


class VoiceOut(msgspec.Struct):
    """A voice of a speech provider; the first of each list is that provider's default."""

    id: str
    name: str
    language: str


class AspectOut(msgspec.Struct):
    """An output frame shape and its size in pixels."""

    id: str
    width: int
    height: int


class ProvidersOut(msgspec.Struct):
    """The providers of each port and the choices a video request accepts.

    ``voices`` maps a speech provider id to its voices; a provider that needs
    a key the server does not hold is left out (its voices are known only
    once a key is used).
    """

    llm: list[ProviderOut]
    speech: list[ProviderOut]
    visuals: list[ProviderOut]
    publishers: list[ProviderOut]
    categories: list[ChoiceOut]
    styles: list[ChoiceOut]
    voices: dict[str, list[VoiceOut]]
    aspects: list[AspectOut]


class PluginProviderOut(msgspec.Struct):
    """A provider as listed under its plugin; ``kind`` is its port."""

    kind: str
    id: str
    name: str


class PluginOut(msgspec.Struct):
    """An installed plugin: its name (the entry-point name or module), version and providers."""

    name: str
    version: str | None
    providers: list[PluginProviderOut]


class PluginsOut(msgspec.Struct):
    """The installed plugins, built-ins first."""

    items: list[PluginOut]


def _providers(catalog: ProviderCatalog, kind: PortKind) -> list[ProviderOut]:
    default: str | None = None
    if kind is not PortKind.PUBLISHER:
        try:
            default = catalog.default_id(kind)
        except UnknownProvider:
            default = None
    return [
        ProviderOut(info.id, info.name, info.needs_key, info.id == default)
        for info in catalog.providers(kind)
    ]


def _voices_of(catalog: ProviderCatalog, info: ProviderInfo, key: str | None) -> list[VoiceOut] | None:
    """The provider's voices, or ``None`` when they cannot be listed quickly."""
    try:
        engine = catalog.create(PortKind.SPEECH, info.id, ProviderConfig(key=key))
        voices = run_with_timeout(lambda: list(engine.voices()), VOICES_TIMEOUT_SECONDS)
    except CallTimedOut:
        log.warning("Speech provider %s took too long to list its voices", info.id)
        return None
    except Exception as exc:  # a broken or unreachable provider must not break the listing
        log.warning("Speech provider %s could not list its voices: %s", info.id, type(exc).__name__)
        return None
    return [VoiceOut(voice.id, voice.name, voice.language) for voice in voices]


def provider_listing(context: ServerContext) -> ProvidersOut:
    """Everything ``GET /api/providers`` answers, computed from the catalog and the server's keys."""
    catalog = context.catalog
    voices: dict[str, list[VoiceOut]] = {}
    for info in catalog.providers(PortKind.SPEECH):
        key = context.settings.provider_keys.get(info.needs_key) if info.needs_key else None
        if info.needs_key and not key:
            continue
        listed = _voices_of(catalog, info, key)
        if listed is not None:
            voices[info.id] = listed
    return ProvidersOut(
        llm=_providers(catalog, PortKind.LLM),
        speech=_providers(catalog, PortKind.SPEECH),
        visuals=_providers(catalog, PortKind.VISUALS),
        publishers=_providers(catalog, PortKind.PUBLISHER),
        categories=[ChoiceOut(c.id, c.name) for c in CATEGORIES],
        styles=[ChoiceOut(s.id, s.name) for s in STYLES],
        voices=voices,
        aspects=[AspectOut(a.id, a.width, a.height) for a in ASPECTS],
    )


def plugin_listing(catalog: ProviderCatalog) -> PluginsOut:
    """The installed plugins with their versions and providers."""
    return PluginsOut(
        [
            PluginOut(
                name,
                entries[0].plugin_version,
                [PluginProviderOut(e.kind.value, e.id, e.name) for e in entries],
            )
            for name, entries in catalog.plugins().items()
        ]
    )


class CatalogController(Controller):
    """The installed providers and plugins."""

    path = "/api"
    tags = ["providers"]
    dependencies = {"user": Provide(provide_user, sync_to_thread=True)}

    @get("/providers", operation_id="listProviders", sync_to_thread=True, responses=error_responses(401))
    def list_providers(self, user: CurrentUser, state: State) -> ProvidersOut:
        """Providers per port (defaults marked), categories, styles, voices per speech provider and aspects.

        The plugins and the server's keys do not change while it runs, so the
        answer is computed once per process.
        """
        context: ServerContext = state.ctx
        with _cache_lock:
            listing: ProvidersOut | None = state.get(_CACHE_KEY)
            if listing is None:
                listing = provider_listing(context)
                state[_CACHE_KEY] = listing
        return listing

    @get("/plugins", operation_id="listPlugins", sync_to_thread=True, responses=error_responses(401))
    def list_plugins(self, user: CurrentUser, state: State) -> PluginsOut:
        """Installed plugins with name, version and the providers each registers."""
        context: ServerContext = state.ctx
        return plugin_listing(context.catalog)


ROUTES = [CatalogController]
