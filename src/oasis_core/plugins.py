"""Loading plugins: the built-ins, then third parties from the ``oasis`` entry-point group.

``OASIS_LOAD_PLUGINS`` (a comma-separated list of plugin names) limits what
is loaded, built-ins included; set it to an empty string to load none.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from importlib import metadata
from types import ModuleType

import pluggy
from attrs import frozen

from oasis_core import hookspecs
from oasis_core.catalog import DISTRIBUTION, HOOK_KINDS, MissingProvider, PortKind, ProviderCatalog
from oasis_core.errors import PluginError

ENTRY_POINT_GROUP = "oasis"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "oasis_plugins.offline",
    "oasis_plugins.espeak",
    "oasis_plugins.piper",
    "oasis_plugins.procedural",
    "oasis_plugins.pyav",
    "oasis_plugins.local",
    "oasis_plugins.s3",
    "oasis_plugins.elevenlabs",
    "oasis_plugins.openai",
    "oasis_plugins.youtube",
    "oasis_plugins.tiktok",
    "oasis_plugins.instagram",
)
"""The built-in plugin modules, registered like third-party ones."""


@frozen
class OptionalPlugin:
    """A built-in plugin that needs an extra: its name, the modules it brings, the providers it adds."""

    extra: str
    modules: tuple[str, ...]
    providers: tuple[tuple[PortKind, str], ...]


OPTIONAL_PLUGINS: Mapping[str, OptionalPlugin] = {
    "oasis_plugins.s3": OptionalPlugin("s3", ("boto3",), ((PortKind.STORAGE, "s3"),)),
    "oasis_plugins.elevenlabs": OptionalPlugin(
        "elevenlabs", ("elevenlabs", "httpx"), ((PortKind.SPEECH, "elevenlabs"),)
    ),
    "oasis_plugins.openai": OptionalPlugin(
        "openai",
        ("openai",),
        ((PortKind.LLM, "openai"), (PortKind.VISUALS, "openai"), (PortKind.SPEECH, "openai")),
    ),
    "oasis_plugins.piper": OptionalPlugin("piper", ("piper", "onnx"), ((PortKind.SPEECH, "piper"),)),
    "oasis_plugins.youtube": OptionalPlugin(
        "youtube",
        ("googleapiclient", "google_auth_httplib2", "httplib2", "httpx"),
        ((PortKind.PUBLISHER, "youtube"),),
    ),
    "oasis_plugins.tiktok": OptionalPlugin("tiktok", ("httpx",), ((PortKind.PUBLISHER, "tiktok"),)),
    "oasis_plugins.instagram": OptionalPlugin(
        "instagram", ("instagrapi",), ((PortKind.PUBLISHER, "instagram"),)
    ),
}
"""The built-in plugins that need an extra (``pip install 'oasis-video[s3]'``), by module.

Without its extra such a plugin is registered as an :class:`UnavailablePlugin`, so ``oasis plugins``
lists its providers as not installed and choosing one says which extra to install. The modules are
checked before the import because some plugins import their SDK only when a provider is built.
"""


@frozen
class UnavailablePlugin:
    """Stands in for a built-in plugin whose extra is not installed; it implements no hook."""

    module: str
    extra: str
    missing_module: str


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def _import_builtin(module_name: str) -> ModuleType | UnavailablePlugin:
    """Import a built-in plugin, or stand in for it when a package of its extra is missing."""
    optional = OPTIONAL_PLUGINS.get(module_name)
    if optional is not None:
        absent = next((module for module in optional.modules if _absent(module)), None)
        if absent is not None:
            return UnavailablePlugin(module_name, optional.extra, absent)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if optional is None or not missing or missing.split(".")[0] in ("oasis_core", "oasis_plugins"):
            raise  # a base dependency or our own module: a broken install, not a missing extra
        return UnavailablePlugin(module_name, optional.extra, missing)


def _allowed(environ: Mapping[str, str]) -> set[str] | None:
    raw = environ.get("OASIS_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugin_manager(
    *, environ: Mapping[str, str] | None = None, extra: tuple[ModuleType | object, ...] = ()
) -> pluggy.PluginManager:
    """Build the plugin manager: hook specs, built-ins, entry points, then ``extra`` plugins.

    Calls ``check_pending()`` so a misspelt hook name fails here, with a
    :class:`PluginError` naming it.
    """
    environ = os.environ if environ is None else environ
    allowed = _allowed(environ)
    pm = pluggy.PluginManager("oasis")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        if allowed is None or module_name in allowed or module_name.rsplit(".", 1)[-1] in allowed:
            pm.register(_import_builtin(module_name), name=module_name)
    names = [None] if allowed is None else sorted(allowed - set(DEFAULT_PLUGINS))
    for name in names:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        except Exception as exc:  # a broken third-party plugin must say which one it is
            raise PluginError(
                f"A plugin of the {ENTRY_POINT_GROUP!r} entry-point group could not be loaded: {exc}"
            ) from exc
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"A plugin implements a hook Oasis does not have: {exc}") from exc
    return pm


def plugin_version(pm: pluggy.PluginManager, plugin_name: str) -> str | None:
    """The version of the distribution that provides ``plugin_name``."""
    plugin = pm.get_plugin(plugin_name)
    for registered, dist in pm.list_plugin_distinfo():
        if registered is plugin:
            return str(dist.version)
    if plugin_name.startswith(("oasis_plugins.", "oasis_core.")):
        try:
            return metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return None
    return None


def catalog_from(pm: pluggy.PluginManager) -> ProviderCatalog:
    """Ask every plugin to register its providers, one plugin at a time, into a new catalog."""
    catalog = ProviderCatalog()
    for plugin_name, plugin in pm.list_name_plugin():
        if isinstance(plugin, UnavailablePlugin):
            for kind, provider_id in OPTIONAL_PLUGINS[plugin.module].providers:
                catalog.add_missing(
                    MissingProvider(kind, provider_id, plugin_name, plugin.extra, plugin.missing_module)
                )
    for hook_name, kind in HOOK_KINDS.items():
        caller = getattr(pm.hook, hook_name)
        for impl in caller.get_hookimpls():  # in registration order: built-ins, then third parties
            plugin_name = impl.plugin_name
            version = plugin_version(pm, plugin_name)

            def register(factory: type, *, _kind=kind, _plugin=plugin_name, _version=version) -> None:  # type: ignore[no-untyped-def]
                catalog.add(_kind, factory, plugin=_plugin, version=_version)

            impl.function(register=register)
    return catalog


def load_catalog(
    *, environ: Mapping[str, str] | None = None, extra: tuple[ModuleType | object, ...] = ()
) -> ProviderCatalog:
    """Load the plugins and return the catalog of every provider they register."""
    return catalog_from(make_plugin_manager(environ=environ, extra=extra))
