"""The contract every ``Publisher`` provider passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.domain.publishing import PublishRequest, SocialAccount
from oasis_core.testing.contracts.base import ProviderContract


class PublisherContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture; override ``account`` and ``video_file`` as needed."""

    kind = PortKind.PUBLISHER

    @pytest.fixture
    def account(self, provider: Any) -> SocialAccount:
        """An account the provider accepts (override for real credentials against a test server)."""
        return SocialAccount(platform=provider.platform, username="contract", access_token="contract-token")

    @pytest.fixture
    def video_file(self, tmp_path: Path) -> Path:
        """A file to publish (override with a real MP4 where the provider checks it)."""
        path = tmp_path / "video.mp4"
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2048))
        return path

    def test_publishes_and_reports_the_platform_id_first(
        self, provider: Any, account: SocialAccount, video_file: Path
    ) -> None:
        seen: list[str] = []
        result = provider.publish(
            PublishRequest(video_file, "Contract test"), account, on_platform_id=seen.append
        )
        assert result.platform_id
        # the last id reported is the post's; earlier ones (an upload session) let a retry resume it
        assert seen and seen[-1] == result.platform_id
        found = provider.lookup(result.platform_id, account)
        assert found is not None and found.platform_id == result.platform_id

    def test_a_retry_with_the_platform_id_does_not_publish_twice(
        self, provider: Any, account: SocialAccount, video_file: Path
    ) -> None:
        first = provider.publish(PublishRequest(video_file, "Once"), account)
        again = provider.publish(PublishRequest(video_file, "Once", platform_id=first.platform_id), account)
        assert again.platform_id == first.platform_id

    def test_names_its_platform(self, provider: Any) -> None:
        assert isinstance(provider.platform, str) and provider.platform
