"""The example plugin passes Oasis's speech-engine contract."""

import pytest
from oasis_example_voices import HummingSpeechEngine

from oasis_core import ProviderConfig
from oasis_core.testing import SpeechEngineContract


class TestHummingSpeechEngine(SpeechEngineContract):
    @pytest.fixture
    def provider(self):
        return HummingSpeechEngine(ProviderConfig())
