"""Oasis core: the domain, the ports, the services and the plugin system.

A plugin author needs only this module: ``hookimpl``, the ports, the errors
and the domain objects are all importable from ``oasis_core``::

    import oasis_core

    class MyVoices:
        id = "myvoices"
        ...

    @oasis_core.hookimpl
    def register_speech_engines(register):
        register(MyVoices)

An SDK user needs one line::

    oasis_core.Studio.from_plugins().render(category="motivation", style="cinematic")
"""

from importlib import metadata as _metadata

from oasis_core.catalog import DISTRIBUTION, MissingProvider, PortKind, ProviderCatalog, ProviderInfo
from oasis_core.domain import *  # noqa: F403 - the domain is part of the public surface
from oasis_core.domain import __all__ as _domain_all
from oasis_core.errors import (
    InvalidInput,
    InvalidTransition,
    NeedsCredentials,
    NotFound,
    OasisError,
    PluginError,
    ProviderError,
    RetryableProviderError,
    StorageError,
    UnknownProvider,
)
from oasis_core.hookspecs import hookimpl
from oasis_core.plugins import DEFAULT_PLUGINS, load_catalog, make_plugin_manager
from oasis_core.ports import (
    BlobStore,
    Composition,
    Compositor,
    EndCard,
    LanguageModel,
    Provider,
    ProviderConfig,
    Publisher,
    SpeechEngine,
    VisualSource,
    Voice,
)
from oasis_core.studio import Studio
from oasis_core.studio_plan import RenderResult

try:
    __version__ = _metadata.version(DISTRIBUTION)
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    *_domain_all,
    "DEFAULT_PLUGINS",
    "BlobStore",
    "Composition",
    "Compositor",
    "EndCard",
    "InvalidInput",
    "InvalidTransition",
    "LanguageModel",
    "MissingProvider",
    "NeedsCredentials",
    "NotFound",
    "OasisError",
    "PluginError",
    "PortKind",
    "Provider",
    "ProviderCatalog",
    "ProviderConfig",
    "ProviderError",
    "ProviderInfo",
    "Publisher",
    "RenderResult",
    "RetryableProviderError",
    "SpeechEngine",
    "StorageError",
    "Studio",
    "UnknownProvider",
    "Voice",
    "VisualSource",
    "hookimpl",
    "load_catalog",
    "make_plugin_manager",
]
