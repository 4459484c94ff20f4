"""A built-in plugin whose extra is not installed: listed as missing, and choosing it says what to install."""

from __future__ import annotations

import sys

import pytest

from oasis_core import Studio
from oasis_core.catalog import PortKind
from oasis_core.errors import UnknownProvider
from oasis_core.plugins import DEFAULT_PLUGINS, OPTIONAL_PLUGINS, load_catalog


def _without(monkeypatch: pytest.MonkeyPatch, *packages: str) -> None:
    """Make ``packages`` unimportable (as if not installed) and forget the plugins already imported."""
    for name in packages:
        monkeypatch.setitem(sys.modules, name, None)
    for name in list(sys.modules):
        if name.startswith(("oasis_plugins.openai", "oasis_plugins.s3")):
            monkeypatch.delitem(sys.modules, name)


def test_a_plugin_without_its_extra_is_listed_as_missing_with_the_pip_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "openai", "boto3")
    catalog = load_catalog(environ={})

    missing = {(entry.kind, entry.id): entry for entry in catalog.missing()}
    assert missing[(PortKind.LLM, "openai")].install_command == "pip install 'oasis-video[openai]'"
    assert missing[(PortKind.STORAGE, "s3")].install_command == "pip install 'oasis-video[s3]'"
    assert missing[(PortKind.STORAGE, "s3")].missing_module == "boto3"
    assert "openai" not in catalog.ids(PortKind.LLM)
    assert "s3" not in catalog.ids(PortKind.STORAGE)
    assert catalog.ids(PortKind.LLM) == ("offline",)  # the base install still works
    assert (PortKind.PUBLISHER, "youtube") not in missing  # installed here


def test_choosing_a_missing_provider_is_a_clear_error_not_an_import_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    _without(monkeypatch, "openai")
    studio = Studio.from_plugins(environ={}, data_dir=tmp_path)

    with pytest.raises(UnknownProvider, match=r"install it with: pip install 'oasis-video\[openai\]'"):
        studio.plan(quote="Well begun.", output=tmp_path / "x.mp4", providers={"llm": "openai"})
    with pytest.raises(UnknownProvider, match="No llm provider 'nope' is installed"):
        studio.plan(quote="Well begun.", output=tmp_path / "x.mp4", providers={"llm": "nope"})


def test_a_missing_module_of_our_own_is_not_taken_for_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "oasis_plugins.openai.client", None)
    for name in list(sys.modules):
        if name in ("oasis_plugins.openai", "oasis_plugins.openai.language_model"):
            monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ModuleNotFoundError):
        load_catalog(environ={})


def test_every_optional_plugin_names_real_providers_when_installed() -> None:
    catalog = load_catalog(environ={})
    registered = {(entry.kind, entry.id) for entry in catalog}
    for module, optional in OPTIONAL_PLUGINS.items():
        if module not in DEFAULT_PLUGINS:
            continue  # a plugin another change adds
        assert optional.providers, module
        assert any(provider in registered for provider in optional.providers), module


def test_a_server_with_a_bucket_but_without_the_s3_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from oasis_server.api.context import ServerContext
    from oasis_server.settings import Settings

    _without(monkeypatch, "boto3")
    settings = Settings.from_env(
        {"OASIS_DATA_DIR": str(tmp_path), "STORAGE_BUCKET": "media"}, dotenv=tmp_path / ".env"
    )
    context = ServerContext.build(settings, catalog=load_catalog(environ={}))
    try:
        with pytest.raises(UnknownProvider, match=r"pip install 'oasis-video\[s3\]'"):
            context.blob_store()  # not the local folder in silence
    finally:
        context.close()
