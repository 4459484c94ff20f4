"""Every fake in ``oasis_core.testing`` passes the same contract as a real provider."""

from __future__ import annotations

import pytest

from oasis_core.testing import (
    BlobStoreContract,
    CompositorContract,
    FakeBlobStore,
    FakeCompositor,
    FakeLanguageModel,
    FakePublisher,
    FakeSpeechEngine,
    FakeVisualSource,
    LanguageModelContract,
    PublisherContract,
    SpeechEngineContract,
    VisualSourceContract,
)


class TestFakeLanguageModel(LanguageModelContract):
    @pytest.fixture
    def provider(self) -> FakeLanguageModel:
        return FakeLanguageModel()


class TestFakeSpeechEngine(SpeechEngineContract):
    @pytest.fixture
    def provider(self) -> FakeSpeechEngine:
        return FakeSpeechEngine()


class TestFakeVisualSource(VisualSourceContract):
    @pytest.fixture
    def provider(self) -> FakeVisualSource:
        return FakeVisualSource()


class TestFakeCompositor(CompositorContract):
    @pytest.fixture
    def provider(self) -> FakeCompositor:
        return FakeCompositor()


class TestFakeBlobStore(BlobStoreContract):
    @pytest.fixture
    def provider(self) -> FakeBlobStore:
        return FakeBlobStore()


class TestFakePublisher(PublisherContract):
    @pytest.fixture
    def provider(self) -> FakePublisher:
        return FakePublisher()


def test_the_fake_publisher_raises_queued_failures_then_recovers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from oasis_core import PublishRequest, RetryableProviderError, SocialAccount

    publisher = FakePublisher()
    publisher.failures.append(RetryableProviderError("slow down", retry_after=3))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    account = SocialAccount("fake", "me", "token")
    with pytest.raises(RetryableProviderError):
        publisher.publish(PublishRequest(video, "t"), account)
    assert publisher.publish(PublishRequest(video, "t"), account).platform_id == "fake-1"
    assert list(publisher.published) == ["fake-1"]
