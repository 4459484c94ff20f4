"""Every bundled provider passes its port's contract suite."""

from __future__ import annotations

from pathlib import Path

import pytest

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


class TestProceduralVisualSource(VisualSourceContract):
    @pytest.fixture
    def provider(self) -> ProceduralVisualSource:
        return ProceduralVisualSource(ProviderConfig())


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def provider(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(ProviderConfig(settings={"root": str(tmp_path / "store")}))
