"""The ``oasis`` pytest plugin: fixtures for testing providers and code built on Oasis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oasis_core.catalog import ProviderCatalog
from oasis_core.testing.fakes import fake_catalog


@pytest.fixture
def oasis_fake_catalog() -> Iterator[ProviderCatalog]:
    """A catalog with one fake provider per port (ids ``fake-llm``, ``fake-speech`` …)."""
    yield fake_catalog()
