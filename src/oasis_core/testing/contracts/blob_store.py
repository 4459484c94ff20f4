"""The contract every ``BlobStore`` provider passes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput, NotFound
from oasis_core.testing.contracts.base import ProviderContract

ESCAPING_KEYS = ("../outside.txt", "/etc/passwd", "a/../../b", "a//b", "", "a\\b", ".hidden", "c:/x", "a/./b")


class BlobStoreContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning an empty store."""

    kind = PortKind.STORAGE

    def test_round_trips_an_object(self, provider: Any, tmp_path: Path) -> None:
        payload = os.urandom(3 * 1024 * 1024 + 17)
        source = tmp_path / "source.bin"
        source.write_bytes(payload)
        provider.put("videos/abc/video.mp4", source, content_type="video/mp4")
        assert provider.exists("videos/abc/video.mp4")
        assert provider.size("videos/abc/video.mp4") == len(payload)
        with provider.open("videos/abc/video.mp4") as stream:
            assert stream.read() == payload
            stream.seek(len(payload) - 17)
            assert stream.read() == payload[-17:]

    def test_replaces_an_object(self, provider: Any, tmp_path: Path) -> None:
        source = tmp_path / "one.txt"
        source.write_bytes(b"first")
        provider.put("k/one.txt", source)
        source.write_bytes(b"second, longer")
        provider.put("k/one.txt", source)
        with provider.open("k/one.txt") as stream:
            assert stream.read() == b"second, longer"

    def test_deletes_and_reports_missing_objects(self, provider: Any, tmp_path: Path) -> None:
        source = tmp_path / "gone.txt"
        source.write_bytes(b"x")
        provider.put("gone.txt", source)
        provider.delete("gone.txt")
        provider.delete("gone.txt")
        assert not provider.exists("gone.txt")
        with pytest.raises(NotFound):
            provider.open("gone.txt")
        with pytest.raises(NotFound):
            provider.size("gone.txt")

    @pytest.mark.parametrize("key", ESCAPING_KEYS)
    def test_refuses_keys_that_leave_the_store(self, provider: Any, tmp_path: Path, key: str) -> None:
        source = tmp_path / "evil.txt"
        source.write_bytes(b"x")
        with pytest.raises(InvalidInput):
            provider.put(key, source)
        with pytest.raises(InvalidInput):
            provider.open(key)

    def test_url_is_a_string_or_none(self, provider: Any, tmp_path: Path) -> None:
        source = tmp_path / "u.txt"
        source.write_bytes(b"x")
        provider.put("u.txt", source)
        url = provider.url("u.txt", expires_in=60)
        assert url is None or (isinstance(url, str) and "://" in url)
