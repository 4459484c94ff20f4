"""Test tooling for plugin authors: a fake for every port and a contract suite per port.

The contract classes are not named ``Test*``, so pytest collects nothing until
you subclass one and give it a ``provider`` fixture::

    from oasis_core.testing import SpeechEngineContract

    class TestMyVoices(SpeechEngineContract):
        @pytest.fixture
        def provider(self):
            return MyVoices(ProviderConfig())

Installing Oasis registers a pytest plugin (``oasis``) with fixtures that
build a catalog of fakes (``fake_catalog``) and a work folder.
"""

from oasis_core.testing.contracts import (
    BlobStoreContract,
    CompositorContract,
    LanguageModelContract,
    PublisherContract,
    SpeechEngineContract,
    VisualSourceContract,
)
from oasis_core.testing.fakes import (
    FakeBlobStore,
    FakeCompositor,
    FakeLanguageModel,
    FakePublisher,
    FakeSpeechEngine,
    FakeVisualSource,
    fake_catalog,
)

__all__ = [
    "BlobStoreContract",
    "CompositorContract",
    "FakeBlobStore",
    "FakeCompositor",
    "FakeLanguageModel",
    "FakePublisher",
    "FakeSpeechEngine",
    "FakeVisualSource",
    "LanguageModelContract",
    "PublisherContract",
    "SpeechEngineContract",
    "VisualSourceContract",
    "fake_catalog",
]
