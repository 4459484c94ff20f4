"""The provider catalog: checks at registration, defaults and building providers."""

from __future__ import annotations

from typing import ClassVar

import pytest

from oasis_core import (
    NeedsCredentials,
    PluginError,
    PortKind,
    ProviderCatalog,
    ProviderConfig,
    UnknownProvider,
)
from oasis_core.catalog import port_members
from oasis_core.testing import FakeLanguageModel, fake_catalog


class KeyedLanguageModel(FakeLanguageModel):
    id: ClassVar[str] = "keyed"
    needs_key: ClassVar[str | None] = "acme"
    key_env_var: ClassVar[str | None] = "ACME_API_KEY"


def test_port_members_come_from_the_protocols() -> None:
    assert {"write_quote", "write_visual_prompt", "id", "needs_key"} <= set(port_members(PortKind.LLM))
    assert {"synthesize", "voices"} <= set(port_members(PortKind.SPEECH))
    assert {"publish", "lookup", "platform"} <= set(port_members(PortKind.PUBLISHER))


def test_a_class_that_does_not_fit_its_port_is_refused_with_what_it_lacks() -> None:
    class Half:
        id = "half"
        name = "Half"
        needs_key = None
        key_env_var = None

        def write_quote(self) -> None: ...

    with pytest.raises(PluginError, match="write_visual_prompt"):
        ProviderCatalog().add(PortKind.LLM, Half, plugin="broken")


def test_ids_must_be_well_formed_and_unique_per_port() -> None:
    catalog = fake_catalog()
    with pytest.raises(PluginError, match="already registered"):
        catalog.add(PortKind.LLM, FakeLanguageModel, plugin="copycat")

    class Shouting(FakeLanguageModel):
        id: ClassVar[str] = "LOUD"

    with pytest.raises(PluginError, match="must match"):
        catalog.add(PortKind.LLM, Shouting)


def test_the_default_is_the_first_provider_that_needs_no_key() -> None:
    catalog = ProviderCatalog()
    catalog.add(PortKind.LLM, KeyedLanguageModel)
    catalog.add(PortKind.LLM, FakeLanguageModel)
    assert catalog.default_id(PortKind.LLM) == "fake-llm"
    assert catalog.ids(PortKind.LLM) == ("keyed", "fake-llm")


def test_building_a_keyed_provider_without_a_key_says_which_key_to_add() -> None:
    catalog = ProviderCatalog()
    catalog.add(PortKind.LLM, KeyedLanguageModel)
    with pytest.raises(NeedsCredentials, match=r"acme API key.*ACME_API_KEY"):
        catalog.create(PortKind.LLM, "keyed")
    provider = catalog.create(PortKind.LLM, "keyed", ProviderConfig(key="sk-1"))
    assert provider.config.key == "sk-1"


def test_an_unknown_provider_lists_the_installed_ones() -> None:
    with pytest.raises(UnknownProvider) as info:
        fake_catalog().create(PortKind.SPEECH, "nope")
    assert info.value.choices == ("fake-speech",)


def test_an_empty_port_has_no_default() -> None:
    with pytest.raises(UnknownProvider):
        ProviderCatalog().default_id(PortKind.PUBLISHER)


def test_config_keeps_the_key_out_of_its_repr() -> None:
    config = ProviderConfig(key="sk-secret-value", settings={"model": "small"})
    assert "sk-secret-value" not in repr(config)
    assert config.setting("model") == "small" and config.setting("missing", "x") == "x"


def test_providers_are_grouped_by_plugin() -> None:
    grouped = fake_catalog().plugins()
    assert list(grouped) == ["oasis_core.testing"]
    assert {e.kind for e in grouped["oasis_core.testing"]} == set(PortKind)
