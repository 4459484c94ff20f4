"""Where Oasis keeps its files when nobody says otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``OASIS_DATA_DIR`` if set, else the per-user data folder of the platform.

    Linux: ``$XDG_DATA_HOME/oasis`` (``~/.local/share/oasis``); macOS:
    ``~/Library/Application Support/oasis``; Windows: ``%LOCALAPPDATA%\\oasis``.
    """
    env = os.environ if environ is None else environ
    if env.get("OASIS_DATA_DIR"):
        return Path(env["OASIS_DATA_DIR"]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "oasis"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "oasis"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "oasis"
