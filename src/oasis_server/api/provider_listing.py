"""The provider listing behind ``/api/providers`` and ``/api/plugins``: what is installed, voices, defaults."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal

import msgspec
from litestar.datastructures import State

from oasis_core.catalog import PortKind, ProviderCatalog, ProviderInfo
from oasis_core.domain.catalogue import CATEGORIES, STYLES
from oasis_core.domain.language import language_tag, voices_for_language
from oasis_core.domain.media import ASPECTS
from oasis_core.errors import UnknownProvider
from oasis_server.api.context import ServerContext
from oasis_server.key_testing import CallTimedOut, run_with_timeout
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice, server_default_id
from oasis_server.publishing.platforms import supports

log = logging.getLogger(__name__)

VOICES_TIMEOUT_SECONDS = 5.0
USER_VOICES_TTL_SECONDS = 600.0
_CACHE_KEY = "oasis_provider_listing"
ConnectMethod = Literal["oauth", "sign_in", "token"]
_cache_lock = threading.Lock()
_user_voices: dict[str, tuple[float, list[VoiceOut] | None]] = {}
"""Voices listed with a user's own key: digest of (provider, key) → (time listed, voices)."""


class ProviderOut(msgspec.Struct, omit_defaults=True):
    """One provider of a port.

    ``needs_key`` is the name of the key it needs (save it with ``POST
    /api/keys``) or ``null``. ``default`` marks the provider used when a
    request names none; publishers are picked by platform, so none of them is
    marked. ``connect`` (publishers only) says how an account is connected
    with ``POST /api/social/connect``: ``oauth`` (answered with an
    ``authorization_url``), ``sign_in`` (username and password), ``token``
    (tokens pasted).
    """

    id: str
    name: str
    needs_key: str | None
    default: bool
    connect: list[ConnectMethod] | None = None


class ChoiceOut(msgspec.Struct):
    """A category or a style."""

    id: str
    name: str


class VoiceOut(msgspec.Struct, omit_defaults=True):
    """A voice of a speech provider; the first of each list is that provider's default.

    ``licence`` says what the voice may be used for (Piper's voices differ:
    some are research only), when the provider knows; absent otherwise.
    """

    id: str
    name: str
    language: str
    licence: str | None = None


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


class DefaultsIn(msgspec.Struct, forbid_unknown_fields=True):
    """A user's default provider per port; ``null`` or a missing port clears that default."""

    llm: str | None = None
    speech: str | None = None
    visuals: str | None = None


class DefaultsOut(msgspec.Struct):
    """``saved``: the user's own defaults (``null`` where none is saved); ``effective``: what a request
    naming no provider uses now, for each port."""

    saved: dict[str, str | None]
    effective: dict[str, str]


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


def _providers(context: ServerContext, kind: PortKind, defaults: dict[str, str]) -> list[ProviderOut]:
    default = defaults.get(kind.value)
    return [
        ProviderOut(
            info.id,
            info.name,
            info.needs_key,
            info.id == default,
            connect_methods(info.factory) if kind is PortKind.PUBLISHER else None,
        )
        for info in context.catalog.providers(kind)
    ]


def connect_methods(publisher: Any) -> list[ConnectMethod]:
    """How an account of this publisher (class or instance) can be connected, from the members it offers."""
    methods: list[ConnectMethod] = []
    if supports(publisher, "authorization_url") and supports(publisher, "exchange_code"):
        methods.append("oauth")
    if supports(publisher, "login"):
        methods.append("sign_in")
    methods.append("token")
    return methods


def _voices_of(context: ServerContext, info: ProviderInfo, key: str | None) -> list[VoiceOut] | None:
    """The provider's voices, or ``None`` when they cannot be listed quickly."""
    try:
        engine = context.catalog.create(PortKind.SPEECH, info.id, context.provider_config(info, key))
        voices = run_with_timeout(lambda: list(engine.voices()), VOICES_TIMEOUT_SECONDS)
    except CallTimedOut:
        log.warning("Speech provider %s took too long to list its voices", info.id)
        return None
    except Exception as exc:  # a broken or unreachable provider must not break the listing
        log.warning("Speech provider %s could not list its voices: %s", info.id, type(exc).__name__)
        return None
    return [VoiceOut(voice.id, voice.name, voice.language, voice.licence) for voice in voices]


def _server_defaults(context: ServerContext) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for kind in CHOOSABLE:
        try:
            defaults[kind.value] = server_default_id(context, kind)
        except UnknownProvider:
            continue
    return defaults


def provider_listing(context: ServerContext, defaults: dict[str, str] | None = None) -> ProvidersOut:
    """What ``GET /api/providers`` answers, from the catalog and the server's keys.

    ``defaults`` (port → provider id) marks the defaults; the server's when ``None``.
    """
    catalog = context.catalog
    defaults = _server_defaults(context) if defaults is None else defaults
    voices: dict[str, list[VoiceOut]] = {}
    for info in catalog.providers(PortKind.SPEECH):
        key = context.server_key(info.needs_key) if info.needs_key else None
        if info.needs_key and not key:
            continue
        listed = _voices_of(context, info, key)
        if listed is not None:
            voices[info.id] = listed
    return ProvidersOut(
        llm=_providers(context, PortKind.LLM, defaults),
        speech=_providers(context, PortKind.SPEECH, defaults),
        visuals=_providers(context, PortKind.VISUALS, defaults),
        publishers=_providers(context, PortKind.PUBLISHER, {}),
        categories=[ChoiceOut(c.id, c.name) for c in CATEGORIES],
        styles=[ChoiceOut(s.id, s.name) for s in STYLES],
        voices=voices,
        aspects=[AspectOut(a.id, a.width, a.height) for a in ASPECTS],
    )


ListingStamp = tuple[tuple[str, int | None], ...]


def listing_stamp(context: ServerContext) -> ListingStamp:
    """What the kept listing depends on that can change while the server runs: the speech providers'
    data folders (Piper's voices folder), by modification time.

    Another server process, or ``oasis voices install`` on the same machine,
    may install a voice; the next ``GET /api/providers`` of every process then
    lists it. One ``stat`` per folder.
    """
    stamp: list[tuple[str, int | None]] = []
    for info in context.catalog.providers(PortKind.SPEECH):
        names = info.data_settings(context.settings.data_dir)
        if not names:
            continue
        config = context.provider_config(info)
        for name in sorted(names):
            folder = config.setting(name) or ""
            try:
                stamp.append((folder, Path(folder).stat().st_mtime_ns))
            except OSError:
                stamp.append((folder, None))
    return tuple(stamp)


def forget_provider_listing(state: State) -> None:
    """Drop the listing ``GET /api/providers`` keeps, after something it shows changed (a voice installed)."""
    with _cache_lock:
        state.pop(_CACHE_KEY, None)


def _voices_with_user_key(context: ServerContext, info: ProviderInfo, key: str) -> list[VoiceOut] | None:
    """The voices ``info`` lists with a user's own key, remembered for a while per (provider, key)."""
    digest = hashlib.sha256(f"{info.id}\0{key}".encode()).hexdigest()
    now = time.monotonic()
    with _cache_lock:
        cached = _user_voices.get(digest)
    if cached is not None and now - cached[0] < USER_VOICES_TTL_SECONDS:
        return cached[1]
    listed = _voices_of(context, info, key)
    with _cache_lock:
        if len(_user_voices) > 1000:
            _user_voices.clear()
        _user_voices[digest] = (now, listed)
    return listed


def listing_for_user(context: ServerContext, base: ProvidersOut, choice: ProviderChoice) -> ProvidersOut:
    """``base`` with the user's defaults marked, and the voices of speech providers only their key opens."""
    defaults = choice.effective()
    voices = dict(base.voices)
    for info in context.catalog.providers(PortKind.SPEECH):
        if info.id in voices or not info.needs_key:
            continue
        key = choice.keys.user_key(info.needs_key)
        if key:
            listed = _voices_with_user_key(context, info, key)
            if listed is not None:
                voices[info.id] = listed
    return msgspec.structs.replace(
        base,
        llm=_providers(context, PortKind.LLM, defaults),
        speech=_providers(context, PortKind.SPEECH, defaults),
        visuals=_providers(context, PortKind.VISUALS, defaults),
        voices=voices,
    )


def voices_in_language(listing: ProvidersOut, language: str) -> ProvidersOut:
    """``listing`` with only the voices that speak ``language`` (a BCP 47 tag; ``zh`` keeps ``cmn``)."""
    tag = language_tag(language)
    voices = {provider: voices_for_language(listed, tag) for provider, listed in listing.voices.items()}
    return msgspec.structs.replace(listing, voices=voices)


def defaults_out(context: ServerContext, user_id: str) -> DefaultsOut:
    """The user's saved default providers and the ones a request naming none uses now."""
    with context.sessions() as session:
        choice = ProviderChoice.for_user(context, session, user_id)
    saved = {kind.value: choice.defaults.get(kind.value) for kind in CHOOSABLE}
    return DefaultsOut(saved=saved, effective=choice.effective())


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


def shared_listing(state: State, context: ServerContext) -> ProvidersOut:
    """The listing every user shares, computed once per process and again only when a voice is installed."""
    stamp = listing_stamp(context)
    with _cache_lock:
        cached: tuple[ListingStamp, ProvidersOut] | None = state.get(_CACHE_KEY)
    if cached is None or cached[0] != stamp:
        cached = (stamp, provider_listing(context))
        with _cache_lock:
            state[_CACHE_KEY] = cached
    return cached[1]
