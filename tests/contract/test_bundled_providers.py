"""Every bundled provider passes its port's contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.openai_api import FakeOpenAI

from oasis_core import ProviderConfig
from oasis_core.testing import (
    BlobStoreContract,
    LanguageModelContract,
    SpeechEngineContract,
    VisualSourceContract,
)
from oasis_plugins.espeak import EspeakSpeechEngine
from oasis_plugins.local import LocalBlobStore
from oasis_plugins.offline import OfflineLanguageModel
from oasis_plugins.openai import OpenAISpeechEngine
from oasis_plugins.procedural import ProceduralVisualSource

# The PyAV compositor's contract runs with the real encodes in tests/integration/test_pyav_compositor.py.


class TestOfflineLanguageModel(LanguageModelContract):
    @pytest.fixture
    def provider(self) -> OfflineLanguageModel:
        return OfflineLanguageModel(ProviderConfig())


class TestEspeakSpeechEngine(SpeechEngineContract):
    @pytest.fixture
    def provider(self) -> EspeakSpeechEngine:
        return EspeakSpeechEngine(ProviderConfig())


@pytest.fixture(scope="module")
def openai_api() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(valid_keys={"sk-contract"}).running() as api:
        yield api  # type: ignore[misc]


class TestOpenAISpeechEngine(SpeechEngineContract):
    """The OpenAI engine, through the real SDK, against the fake OpenAI API on 127.0.0.1."""

    @pytest.fixture
    def provider(self, openai_api: FakeOpenAI) -> OpenAISpeechEngine:
        settings = {"base_url": openai_api.base_url, "max_retries": "0"}
        return OpenAISpeechEngine(ProviderConfig(key="sk-contract", settings=settings))


class TestProceduralVisualSource(VisualSourceContract):
    @pytest.fixture
    def provider(self) -> ProceduralVisualSource:
        return ProceduralVisualSource(ProviderConfig())


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def provider(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(ProviderConfig(settings={"root": str(tmp_path / "store")}))
