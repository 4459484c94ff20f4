"""Loading plugins: the built-ins, then third parties from the ``oasis`` entry-point group.

``OASIS_LOAD_PLUGINS`` (a comma-separated list of plugin names) limits what
is loaded, built-ins included; set it to an empty string to load none.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from importlib import metadata
from types import ModuleType

import pluggy

from oasis_core import hookspecs
from oasis_core.catalog import HOOK_KINDS, ProviderCatalog
from oasis_core.errors import PluginError

ENTRY_POINT_GROUP = "oasis"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "oasis_plugins.offline",
    "oasis_plugins.espeak",
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

_DISTRIBUTION = "oasis-video"


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
            pm.register(importlib.import_module(module_name), name=module_name)
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
            return metadata.version(_DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return None
    return None


def catalog_from(pm: pluggy.PluginManager) -> ProviderCatalog:
    """Ask every plugin to register its providers, one plugin at a time, into a new catalog."""
    catalog = ProviderCatalog()
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
