"""Write the hostile image fixtures in this folder (deterministic; run from the repo root).

    .venv/bin/python templates_app/tests/hostile/generate.py

Each file is small on disk and dangerous to a naive decoder or fetcher; the tests
in test_rendering_hostile_images.py and test_fetch.py use every one.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def gigapixel_png() -> bytes:
    """A header declaring 100000×100000 RGB (30 GB of pixels) and almost no data."""
    return png(100_000, 100_000, 8, 2, zlib.compress(b"\x00" * 64))


def bomb_png() -> bytes:
    """A real, complete 7000×7000 1-bit PNG: 6 KB on disk, 49 Mpx (196 MB as RGBA) decoded."""
    width = height = 7000
    row = b"\x00" + b"\x00" * (width // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return png(width, height, 1, 0, idat)


def gzip_bomb() -> bytes:
    """32 MB of zeros gzipped to ~32 KB: served as image/png it must never be inflated."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        block = b"\x00" * (1024 * 1024)
        for _ in range(32):
            out.write(block)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """A 256×256 JPEG cut in the middle of its scan data (no EOI marker)."""
    image = Image.new("RGB", (256, 256))
    image.putdata([(x, y, (x * y) % 256) for y in range(256) for x in range(256)])
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


SVG = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
  <image xlink:href="file:///etc/passwd" width="10" height="10"/><text>&b;</text>
</svg>
"""

HTML = b"""<!doctype html>
<html><head><title>Not an image</title></head><body><p>Login required</p></body></html>
"""

FIXTURES = {
    "gigapixel.png": gigapixel_png,
    "bomb.png": bomb_png,
    "gzip_bomb.png.gz": gzip_bomb,
    "truncated.jpg": truncated_jpeg,
    "entities.svg": lambda: SVG,
    "page.html": lambda: HTML,
}


def main() -> None:
    for name, make in FIXTURES.items():
        (HERE / name).write_bytes(make())


if __name__ == "__main__":
    main()
