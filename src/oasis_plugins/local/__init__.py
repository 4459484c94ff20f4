"""The ``local`` blob store plugin: files in a folder on this machine."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.local.blob_store import LocalBlobStore

__all__ = ["LocalBlobStore"]


@hookimpl
def register_blob_stores(register: Register) -> None:
    """Register the local folder store."""
    register(LocalBlobStore)
