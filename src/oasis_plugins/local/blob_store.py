"""A blob store that keeps objects as files under one root folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, ClassVar

from oasis_core.errors import NotFound, PluginError, StorageError
from oasis_core.ports.blob_store import validate_key
from oasis_core.ports.provider import ProviderConfig


class LocalBlobStore:
    """Objects as files under the ``root`` setting (the server passes ``OASIS_DATA_DIR/media``).

    Writes go to a temporary file in the same folder, are flushed to disk and
    then renamed over the target, so a reader sees the old object or the new
    one, never half of one. Keys are checked so no object lands outside ``root``.
    """

    id: ClassVar[str] = "local"
    name: ClassVar[str] = "Local folder"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig) -> None:
        root = config.setting("root")
        if not root:
            raise PluginError("The local blob store needs a 'root' setting: the folder to keep files in")
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):  # a symlink inside the store must not lead out of it
            raise StorageError(f"Key {key!r} resolves outside the store")
        return path

    def put(self, key: str, source: Path, *, content_type: str | None = None) -> None:
        """Copy ``source`` to the key's file atomically; the file is 0600 and new folders 0700."""
        target = self._path(key)
        _private_folders(target.parent)
        # mkstemp creates the file 0600 whatever the umask, and the rename keeps that mode: stored
        # media is readable by the server's own user only
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            Path(temp_name).replace(target)
        except OSError as exc:
            Path(temp_name).unlink(missing_ok=True)
            raise StorageError(f"Could not store {key!r}: {exc.strerror or exc}") from exc

    def open(self, key: str) -> BinaryIO:
        """Open the key's file for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(f"No object {key!r}") from None

    def size(self, key: str) -> int:
        """The file's size."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"No object {key!r}") from None

    def exists(self, key: str) -> bool:
        """Whether the key's file exists."""
        return self._path(key).is_file()

    def url(self, key: str, *, expires_in: int) -> str | None:
        """No URLs: the server streams local files itself."""
        validate_key(key)
        return None

    def delete(self, key: str) -> None:
        """Remove the key's file, and its folder when that becomes empty."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents with mode 0700 (``mkdir -p`` would use the umask)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
