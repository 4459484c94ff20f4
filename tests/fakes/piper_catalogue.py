"""A fake Piper voices catalogue on 127.0.0.1, laid out like the public one.

The public catalogue (the ``rhasspy/piper-voices`` model repository) serves
``voices.json`` at its root and each voice's files under
``{family}/{lang_code}/{name}/{quality}/``. Rules kept from it:

* ``voices.json`` maps a voice name to ``key``, ``name``, ``language`` (``code``,
  ``family``, ``region`` …), ``quality``, ``num_speakers``, ``speaker_id_map``
  and ``files`` (path → ``size_bytes``, ``md5_digest``) — the format
  ``piper.download_voices`` reads;
* large files (the ``.onnx`` models, stored with Git LFS) answer ``302`` to a
  content server, so a client must follow redirects;
* a path that does not exist answers ``404`` ("Entry not found").

A test adds voices from files (:meth:`PiperCatalogue.add_voice`) and can make
the listing lie about one file's digest or size, to check that the installer
refuses it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tests.fakes.http_server import FakeApi, Recorded, Reply

LFS_PREFIX = "/cdn-lfs/"


def _catalogue_path(name: str, file_name: str) -> str:
    """``en/en_US/joe/medium/<file_name>`` for voice ``en_US-joe-medium``."""
    code, speaker, quality = name.split("-", 2)
    return f"{code.split('_')[0]}/{code}/{speaker}/{quality}/{file_name}"


class PiperCatalogue(FakeApi):
    """Serves ``voices.json`` and the files of the voices added to it."""

    routes = (
        ("GET", r"/voices\.json", "voices_json"),
        ("GET", r"/cdn-lfs/(?P<path>.+)", "lfs_file"),
        ("GET", r"/(?P<path>.+)", "repository_file"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.listing: dict[str, dict[str, Any]] = {}

    def add_voice(self, name: str, model: Path, config: Path, card: Path | None = None) -> None:
        """Offer voice ``name`` made of these files, listed with their true sizes and digests."""
        code = name.split("-")[0]
        family, region = code.split("_")
        entry: dict[str, Any] = {
            "key": name,
            "name": name.split("-")[1],
            "language": {
                "code": code,
                "family": family,
                "region": region,
                "name_native": "English",
                "name_english": "English",
                "country_english": "United States",
            },
            "quality": name.rsplit("-", 1)[-1],
            "num_speakers": 1,
            "speaker_id_map": {},
            "files": {},
            "aliases": [],
        }
        sources = [(f"{name}.onnx", model), (f"{name}.onnx.json", config)]
        if card is not None:
            sources.append(("MODEL_CARD", card))
        for file_name, source in sources:
            data = source.read_bytes()
            path = _catalogue_path(name, file_name)
            self.files[path] = data
            entry["files"][path] = {"size_bytes": len(data), "md5_digest": hashlib.md5(data).hexdigest()}
        self.listing[name] = entry

    def file_entry(self, name: str, suffix: str) -> dict[str, Any]:
        """The listing of voice ``name``'s file ending in ``suffix`` (to make it lie)."""
        files: dict[str, dict[str, Any]] = self.listing[name]["files"]
        return next(info for path, info in files.items() if path.endswith(suffix))

    def remove_file(self, name: str, suffix: str) -> None:
        """Keep listing voice ``name``'s file ending in ``suffix`` but stop serving it (a 404)."""
        path = next(path for path in self.listing[name]["files"] if path.endswith(suffix))
        self.files.pop(path, None)

    def voices_json(self, request: Recorded, match: re.Match[str]) -> Reply:
        """The catalogue listing."""
        return Reply(200, self.listing)

    def repository_file(self, request: Recorded, match: re.Match[str]) -> Reply:
        """A file: small ones directly, models through a redirect to the content server."""
        path = match.group("path")
        if path not in self.files:
            return Reply(404, raw=b"Entry not found", headers={"Content-Type": "text/plain"})
        if path.endswith(".onnx"):
            return Reply(302, headers={"Location": f"{LFS_PREFIX}{path}"})
        return Reply(200, self.files[path])

    def lfs_file(self, request: Recorded, match: re.Match[str]) -> Reply:
        """A large file's content."""
        data = self.files.get(match.group("path"))
        if data is None:
            return Reply(404, raw=b"Not found", headers={"Content-Type": "text/plain"})
        return Reply(200, data)
