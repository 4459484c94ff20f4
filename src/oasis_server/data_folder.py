"""The server's data folder and files, readable by the server's own user only.

The folder holds the SQLite database (password hashes, token digests,
encrypted keys), the generated secrets and the media users rendered. With
the usual umask they would be world-readable (0755 / 0644), so the folder is
made 0700 and those files 0600, and an existing folder is tightened when the
server starts.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from oasis_core.errors import OasisError

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its missing parents) and make it 0700 if it belongs to us.

    Raises :class:`OasisError` naming the folder if it cannot be made or used.
    """
    try:
        path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        _tighten(path, FOLDER_MODE)
    except OSError as exc:
        raise OasisError(f"Cannot use the folder {path}: {exc.strerror or exc}") from None
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists, and make an existing one 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & ~mode == 0:
        return
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        log.warning("%s is readable by others and not ours to change: make it mode %o", path, mode)
        return
    path.chmod(mode)
