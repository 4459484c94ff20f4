"""The ``BlobStore`` port: keeps finished files (videos, thumbnails) under string keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import Provider

_KEY_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
MAX_KEY_LENGTH = 512


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidInput`.

    Every store calls this, so no key can climb out of the store (``..``, an
    absolute path, a backslash, a drive letter or an empty part): no part may
    start with a dot.
    """
    parts = key.split("/")
    if not key or len(key) > MAX_KEY_LENGTH or not all(_KEY_PART.match(part) for part in parts):
        raise InvalidInput(f"Invalid storage key {key!r}", field="key")
    return key


@runtime_checkable
class BlobStore(Provider, Protocol):
    """Stores files under keys such as ``videos/<id>/video.mp4``.

    Keys are relative, ``/``-separated, made of letters, digits, ``-``, ``_``
    and ``.``; a key that tries to leave the store (``..``, a leading ``/``)
    raises :class:`~oasis_core.errors.InvalidInput`. Register implementations
    with the ``register_blob_stores`` hook.
    """

    def put(self, key: str, source: Path, *, content_type: str | None = None) -> None:
        """Store the file at ``source`` under ``key``, replacing any object there.

        Readers never see a half-written object.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the object for reading (seekable); raise :class:`~oasis_core.errors.NotFound` if absent."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes; raise :class:`~oasis_core.errors.NotFound` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def url(self, key: str, *, expires_in: int) -> str | None:
        """A URL that serves the object for ``expires_in`` seconds, or ``None``.

        Stores that cannot hand out URLs (a local folder) return ``None`` and
        the server streams the object itself.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...
