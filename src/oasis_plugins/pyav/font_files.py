"""Font files: which characters a face has glyphs for, and where font files are found.

Coverage is read straight from each face's ``cmap`` table (the table that maps
characters to glyphs), so a character is "covered" exactly when the font maps
it to a real glyph rather than to glyph 0, the ``.notdef`` box. Reading the
table costs a few milliseconds once per face; after that a lookup is a binary
search. TrueType (``.ttf``), OpenType (``.otf``) and collections (``.ttc``,
``.otc``: several faces in one file, e.g. Noto Sans CJK JP/KR/SC/TC/HK) are read.
"""

from __future__ import annotations

import bisect
import functools
import logging
import mmap
import os
import struct
import sys
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from attrs import frozen

Buffer = bytes | mmap.mmap

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_COLLECTION_TAG = b"ttcf"
# Unicode cmap subtables (platform, encoding): Unicode (0, *) and Windows Unicode BMP / full (3, 1), (3, 10).
_UNICODE_ENCODINGS = {(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 6), (3, 1), (3, 10)}


@frozen
class FontFace:
    """One face of a font file: the file and, for a collection (``.ttc``), the face's index in it."""

    path: str
    index: int = 0


class Coverage:
    """The characters one face has glyphs for, as sorted, merged code point ranges."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def __contains__(self, char: object) -> bool:
        if not isinstance(char, str) or len(char) != 1:
            return False
        point = ord(char)
        index = bisect.bisect_right(self._starts, point) - 1
        return index >= 0 and point <= self._ends[index]

    def __len__(self) -> int:
        return sum(end - start + 1 for start, end in zip(self._starts, self._ends, strict=True))


def face_count(path: str) -> int:
    """How many faces the font file at ``path`` holds (1 unless it is a collection; 0 if unreadable)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return 0
    if len(head) < 12:
        return 0
    if head[:4] == _COLLECTION_TAG:
        return int(struct.unpack(">I", head[8:12])[0])
    return 1


@functools.lru_cache(maxsize=512)
def coverage(face: FontFace) -> Coverage:
    """The characters ``face`` maps to a glyph (empty if the file cannot be read)."""
    try:
        # Mapped, not read: only the header and the cmap table's pages are touched (a CJK file is 20 MB).
        with (
            Path(face.path).open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            return Coverage(_cmap_ranges(data, face.index))
    except (OSError, struct.error, ValueError) as exc:
        log.warning("Could not read the font %s (face %d): %s", face.path, face.index, exc)
        return Coverage(())


def _table(data: Buffer, face_index: int, tag: bytes) -> int | None:
    """The offset of table ``tag`` of face ``face_index`` in ``data``, or ``None``."""
    offset = 0
    if data[:4] == _COLLECTION_TAG:
        count = struct.unpack_from(">I", data, 8)[0]
        if not 0 <= face_index < count:
            raise ValueError(f"the collection has no face {face_index}")
        offset = struct.unpack_from(">I", data, 12 + 4 * face_index)[0]
    tables = struct.unpack_from(">H", data, offset + 4)[0]
    for number in range(tables):
        record = offset + 12 + 16 * number
        if data[record : record + 4] == tag:
            return int(struct.unpack_from(">I", data, record + 8)[0])
    return None


def _cmap_ranges(data: Buffer, face_index: int) -> list[tuple[int, int]]:
    """The code point ranges of every Unicode cmap subtable (formats 4 and 12) of one face."""
    cmap = _table(data, face_index, b"cmap")
    if cmap is None:
        return []
    ranges: list[tuple[int, int]] = []
    seen: set[int] = set()
    for number in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        platform, encoding, sub = struct.unpack_from(">HHI", data, cmap + 4 + 8 * number)
        if (platform, encoding) not in _UNICODE_ENCODINGS or sub in seen:
            continue
        seen.add(sub)
        start = cmap + sub
        kind = struct.unpack_from(">H", data, start)[0]
        if kind == 4:
            ranges.extend(_format4(data, start))
        elif kind == 12:
            ranges.extend(_format12(data, start))
    return ranges


def _format4(data: Buffer, start: int) -> Iterator[tuple[int, int]]:
    """Segment mapping to delta values (the Basic Multilingual Plane); skips characters mapped to glyph 0."""
    segments = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, start + 14)
    starts = struct.unpack_from(f">{segments}H", data, start + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, start + 16 + 4 * segments)
    offsets_at = start + 16 + 6 * segments
    offsets = struct.unpack_from(f">{segments}H", data, offsets_at)
    for segment, (first, last, delta, range_offset) in enumerate(
        zip(starts, ends, deltas, offsets, strict=True)
    ):
        if first == 0xFFFF:
            continue
        if range_offset == 0:
            # glyph = (char + delta) mod 65536: only one character can land on glyph 0.
            zero = (-delta) % 0x10000
            if first <= zero <= last:
                yield from ((a, b) for a, b in ((first, zero - 1), (zero + 1, last)) if a <= b)
            else:
                yield first, last
            continue
        base = offsets_at + 2 * segment + range_offset
        run: int | None = None
        for char in range(first, last + 1):
            glyph = struct.unpack_from(">H", data, base + 2 * (char - first))[0]
            if glyph and run is None:
                run = char
            elif not glyph and run is not None:
                yield run, char - 1
                run = None
        if run is not None:
            yield run, last


def _format12(data: Buffer, start: int) -> Iterator[tuple[int, int]]:
    """Segmented coverage (all planes): groups of consecutive characters and glyphs."""
    groups = struct.unpack_from(">I", data, start + 12)[0]
    for number in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * number)
        if glyph == 0:
            first += 1  # the group's first character maps to .notdef
        if first <= last:
            yield first, last


def system_font_folders() -> list[Path]:
    """The folders an operating system keeps fonts in (those that exist)."""
    home = Path.home()
    candidates = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
    ]
    if sys.platform == "darwin":
        candidates += [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":
        candidates.append(Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts")
    return [folder for folder in candidates if folder.is_dir()]


def font_files_in(place: Path) -> list[Path]:
    """``place`` if it is a font file, else every font file under the folder ``place``, sorted."""
    if place.is_file():
        return [place] if place.suffix.lower() in FONT_SUFFIXES else []
    if not place.is_dir():
        return []
    found: list[Path] = []
    for root, _dirs, files in os.walk(place):
        found.extend(Path(root) / name for name in files if Path(name).suffix.lower() in FONT_SUFFIXES)
    return sorted(found)


@functools.cache
def system_font_files() -> tuple[Path, ...]:
    """Every font file in the system's font folders (looked up once per process)."""
    return tuple(path for folder in system_font_folders() for path in font_files_in(folder))


@functools.cache
def wheel_font_files() -> tuple[Path, ...]:
    """Font files shipped inside installed Python packages (e.g. ``font-lato``, ``noto-cjk-sans-otc``)."""
    found: list[Path] = []
    for distribution in metadata.distributions():
        for file in distribution.files or ():
            if file.suffix.lower() in FONT_SUFFIXES:
                path = Path(str(file.locate()))
                if path.is_file():
                    found.append(path)
    return tuple(sorted(set(found)))
