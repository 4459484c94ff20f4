"""Each registration hook, exercised through a real plugin manager.

The hook governance test requires every hook name to appear in a test: the
parametrised test below names each one.
"""

from __future__ import annotations

import types

import pytest

from oasis_core import PluginError, PortKind, hookimpl, load_catalog, make_plugin_manager
from oasis_core.catalog import HOOK_KINDS
from oasis_core.testing.fakes import FAKES

HOOK_NAMES = (
    "register_language_models",
    "register_speech_engines",
    "register_visual_sources",
    "register_compositors",
    "register_blob_stores",
    "register_publishers",
)


def plugin_with(hook_name: str, factory: type) -> types.SimpleNamespace:
    def register_hook(register):  # type: ignore[no-untyped-def]
        register(factory)

    register_hook.__name__ = hook_name
    return types.SimpleNamespace(**{hook_name: hookimpl(register_hook)})


def test_this_module_names_every_hook() -> None:
    assert set(HOOK_NAMES) == set(HOOK_KINDS)


@pytest.mark.parametrize("hook_name", HOOK_NAMES)
def test_a_provider_registered_through_the_hook_lands_in_its_port(hook_name: str) -> None:
    kind = HOOK_KINDS[hook_name]
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": ""}, extra=(plugin_with(hook_name, FAKES[kind]),))
    assert catalog.ids(kind) == (FAKES[kind].id,)
    assert all(not catalog.ids(other) for other in PortKind if other is not kind)


def test_a_misspelt_hook_fails_fast_naming_it() -> None:
    @hookimpl
    def register_language_model(register):  # type: ignore[no-untyped-def]
        """Singular: not a hook Oasis has."""

    broken = types.SimpleNamespace(register_language_model=register_language_model)
    with pytest.raises(PluginError, match="register_language_model"):
        make_plugin_manager(environ={"OASIS_LOAD_PLUGINS": ""}, extra=(broken,))


def test_the_built_in_plugins_register_every_offline_provider() -> None:
    catalog = load_catalog(environ={})
    assert catalog.default_id(PortKind.LLM) == "offline"
    assert catalog.default_id(PortKind.SPEECH) == "espeak"
    assert catalog.default_id(PortKind.VISUALS) == "procedural"
    assert catalog.default_id(PortKind.COMPOSITOR) == "pyav"
    assert catalog.default_id(PortKind.STORAGE) == "local"
    assert catalog.info(PortKind.SPEECH, "espeak").plugin == "oasis_plugins.espeak"


def test_oasis_load_plugins_limits_what_is_loaded() -> None:
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "oasis_plugins.espeak, local"})
    assert [e.id for e in catalog] == ["espeak", "local"]
    assert not list(load_catalog(environ={"OASIS_LOAD_PLUGINS": ""}))
