"""Write the hostile image fixtures in this folder (deterministic; run from the repo root).

    .venv/bin/python templates_app/tests/hostile/generate.py [NAME ...]

Each file is small on disk and dangerous to a naive decoder or fetcher; the tests
in test_rendering_hostile_images.py, test_fetch.py and (the font)
api/tests/test_fonts_api.py use every one.
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


def cff_subroutine_bomb() -> bytes:
    """A 1 KB OpenType (CFF) font whose 'A' calls a subroutine that calls the next one 16
    times, ten levels deep (the CFF nesting limit): 16^10 outline segments to draw. Any
    parser that follows the calls burns CPU and memory until something stops it."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.psCharStrings import T2CharString

    bias, depth, fanout = 107, 10, 16
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    charstrings = {
        ".notdef": T2CharString(program=["endchar"]),
        "A": T2CharString(program=[0, 0, "rmoveto", 0 - bias, "callgsubr", "endchar"]),
    }
    builder.setupCFF("Bomb-Regular", {"FullName": "Bomb"}, charstrings, {})
    subrs = builder.font["CFF "].cff.GlobalSubrs
    for level in range(depth - 1):
        subrs.append(T2CharString(program=[*[level + 1 - bias, "callgsubr"] * fanout, "return"]))
    subrs.append(T2CharString(program=[1, 1, "rlineto", "return"]))
    builder.setupHorizontalMetrics({".notdef": (500, 0), "A": (600, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Bomb", "styleName": "Regular"})
    builder.setupOS2(usWeightClass=400)
    builder.setupPost()
    builder.font.recalcBBoxes = False  # computing bounds would draw 'A': fontTools itself would hang here
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()


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
    "subroutine_bomb.otf": cff_subroutine_bomb,
}


def main(names: list[str]) -> None:
    for name, make in FIXTURES.items():
        if not names or name in names:
            (HERE / name).write_bytes(make())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
