"""The ``s3`` blob store plugin: objects in a bucket of any S3-compatible service (boto3)."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.s3.blob_store import S3BlobStore

__all__ = ["S3BlobStore", "register_blob_stores"]


@hookimpl
def register_blob_stores(register: Register) -> None:
    """Register :class:`S3BlobStore` (after ``local``, which stays the default store)."""
    register(S3BlobStore)
