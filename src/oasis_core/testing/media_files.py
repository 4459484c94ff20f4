"""Tiny media files written with the standard library, for fakes and contract suites."""

from __future__ import annotations

import math
import struct
import wave
import zlib
from pathlib import Path


def write_tone_wav(path: Path, duration: float, *, rate: int = 22050, frequency: float = 220.0) -> None:
    """Write a mono 16-bit WAV holding a soft sine tone of ``duration`` seconds."""
    count = max(1, int(duration * rate))
    samples = (int(8000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))


def write_gradient_png(path: Path, width: int, height: int, *, seed: int = 0) -> None:
    """Write an RGB PNG with a vertical gradient (not a flat fill), coloured by ``seed``."""
    r0, g0, b0 = (seed * 37) % 200, (seed * 91) % 200, (seed * 53) % 200
    rows = []
    for y in range(height):
        t = y / max(1, height - 1)
        pixel = bytes((int(r0 + 55 * t), int(g0 + 40 * t), int(b0 + 50 * (1 - t))))
        rows.append(b"\x00" + pixel * width)
    raw = zlib.compress(b"".join(rows), 1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )


def image_size(path: Path) -> tuple[int, int]:
    """The width and height recorded in a PNG or JPEG file's header."""
    data = path.read_bytes()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        offset = 2
        while offset + 9 < len(data):
            marker, length = data[offset + 1], struct.unpack(">H", data[offset + 2 : offset + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
                return int(width), int(height)
            offset += 2 + length
    raise ValueError(f"{path} is neither a PNG nor a baseline/progressive JPEG file")
