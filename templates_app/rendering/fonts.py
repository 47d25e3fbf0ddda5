"""Font registry and font access: family → files, face resolution, HarfBuzz fonts, glyph outlines.

Only fonts shipped in the repo (`static/fonts/`) are ever used, never the system's, so a
render looks the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from fontTools.pens.basePen import decomposeQuadraticSegment
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"

DEFAULT_FAMILY = "Inter"
# Tried in order for characters the chosen family lacks.
FALLBACK_FAMILIES: tuple[str, ...] = ("DejaVu Sans",)

# Oblique angle for a family without an italic file (tan of ~11°, like browsers).
SYNTHETIC_SLANT = 0.2


@dataclass(frozen=True)
class FontFile:
    """One font file of a family; a variable file covers a weight range."""

    path: str  # relative to FONT_DIR
    italic: bool
    weight_min: int
    weight_max: int
    variable: bool = False


FAMILIES: dict[str, tuple[FontFile, ...]] = {
    "Inter": (
        FontFile("inter/InterVariable.ttf", False, 100, 900, variable=True),
        FontFile("inter/InterVariable-Italic.ttf", True, 100, 900, variable=True),
    ),
    "DejaVu Sans": (
        FontFile("dejavu/DejaVuSans.ttf", False, 400, 400),
        FontFile("dejavu/DejaVuSans-Bold.ttf", False, 700, 700),
    ),
}

_FAMILY_BY_KEY = {name.casefold(): name for name in FAMILIES}


@dataclass(frozen=True)
class FaceSpec:
    """A concrete face to shape and draw with: a file plus axis values and synthetic styling.

    Hashable, so it keys every cache below.
    """

    path: str
    wght: int | None = None  # set for variable fonts
    slant: float = 0.0  # synthetic oblique when the family has no italic


def family_names() -> list[str]:
    """Names of the shipped families (the font catalogue's keys)."""
    return list(FAMILIES)


def _weight_distance(file: FontFile, weight: int) -> tuple[int, int]:
    if file.weight_min <= weight <= file.weight_max:
        return (0, 0)
    nearest = file.weight_min if weight < file.weight_min else file.weight_max
    # On a tie, CSS prefers heavier for bold requests and lighter for light ones.
    prefer_heavier = weight >= 400
    return (abs(nearest - weight), 0 if (nearest > weight) == prefer_heavier else 1)


def resolve_face(family: str, weight: int, italic: bool) -> FaceSpec:
    """The face of `family` closest to `weight`/`italic`; unknown families fall back to Inter."""
    name = _FAMILY_BY_KEY.get((family or "").strip().casefold(), DEFAULT_FAMILY)
    files = FAMILIES[name]
    same_style = [f for f in files if f.italic == italic] or list(files)
    best = min(same_style, key=lambda f: _weight_distance(f, weight))
    slant = SYNTHETIC_SLANT if italic and not best.italic else 0.0
    wght = max(best.weight_min, min(best.weight_max, weight)) if best.variable else None
    return FaceSpec(best.path, wght, slant)


def fallback_chain(family: str, weight: int, italic: bool) -> tuple[FaceSpec, ...]:
    """The chosen face followed by the fallback faces, for per-character font selection."""
    chain = [resolve_face(family, weight, italic)]
    for name in FALLBACK_FAMILIES:
        spec = resolve_face(name, weight, italic)
        if spec not in chain:
            chain.append(spec)
    return tuple(chain)


@lru_cache(maxsize=32)
def _hb_face(path: str) -> hb.Face:
    return hb.Face(hb.Blob.from_file_path(str(FONT_DIR / path)))


@lru_cache(maxsize=32)
def coverage(path: str) -> frozenset[int]:
    """Code points the font file maps to a glyph."""
    with TTFont(str(FONT_DIR / path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=128)
def hb_font(spec: FaceSpec) -> hb.Font:
    """A HarfBuzz font for `spec` at scale = units per em (positions come out in font units)."""
    font = hb.Font(_hb_face(spec.path))
    if spec.wght is not None:
        font.set_variations({"wght": spec.wght})
    if spec.slant:
        font.synthetic_slant = spec.slant
    return font


@lru_cache(maxsize=128)
def units_per_em(spec: FaceSpec) -> int:
    return _hb_face(spec.path).upem


@lru_cache(maxsize=128)
def vertical_metrics(spec: FaceSpec) -> tuple[float, float]:
    """(ascender, descender) in em, both positive, as a browser uses them for line boxes."""
    extents = hb_font(spec).get_font_extents("ltr")
    upem = units_per_em(spec)
    return extents.ascender / upem, -extents.descender / upem


@lru_cache(maxsize=16384)
def glyph_outline(spec: FaceSpec, gid: int) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The glyph's outline as SVG commands in em units, y pointing up (font space).

    Drawn through HarfBuzz so the variation (weight) and synthetic slant used for
    shaping are exactly the ones drawn.
    """
    pen = RecordingPen()
    hb_font(spec).draw_glyph_with_pen(gid, pen)
    k = 1 / units_per_em(spec)
    commands: list[tuple[str, tuple[float, ...]]] = []
    for op, points in pen.value:
        if op == "moveTo":
            commands.append(("M", (points[0][0] * k, points[0][1] * k)))
        elif op == "lineTo":
            commands.append(("L", (points[0][0] * k, points[0][1] * k)))
        elif op == "qCurveTo":
            # HarfBuzz emits one control point per quad; decompose any implied on-curve points anyway.
            for (cx, cy), (px, py) in decomposeQuadraticSegment(points) if len(points) > 2 else [points]:
                commands.append(("Q", (cx * k, cy * k, px * k, py * k)))
        elif op == "curveTo":
            flat = tuple(c * k for point in points for c in point)
            commands.append(("C", flat))
        elif op in ("closePath", "endPath"):
            commands.append(("Z", ()))
    return tuple(commands)


def _short(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@lru_cache(maxsize=16384)
def _relative_outline(spec: FaceSpec, gid: int, size: float) -> tuple[float, float, str]:
    """The glyph at `size` as (first point, the rest as relative commands), position-free.

    Relative commands make one cached string serve every occurrence of a glyph. Points are
    rounded before differencing, so the offsets add up exactly and contours never drift.
    """
    commands = glyph_outline(spec, gid)
    if not commands:
        return 0.0, 0.0, ""
    parts: list[str] = []
    anchor: tuple[float, float] | None = None
    current = start = (0.0, 0.0)
    for op, coords in commands:
        if op == "Z":
            parts.append("z")
            current = start
            continue
        # Font space is y-up, SVG is y-down.
        points = [(round(coords[i] * size, 3), round(-coords[i + 1] * size, 3)) for i in range(0, len(coords), 2)]
        if anchor is None:
            anchor = current = start = points[0]
            continue
        parts.append(op.lower() + " ".join(f"{_short(px - current[0])} {_short(py - current[1])}" for px, py in points))
        current = points[-1]
        if op == "M":
            start = current
    assert anchor is not None
    return anchor[0], anchor[1], "".join(parts)


def outline_path_data(spec: FaceSpec, gid: int, x: float, y: float, size: float) -> str:
    """SVG path data for one glyph with its origin at (x, y) (baseline) and `size` px per em."""
    dx, dy, rest = _relative_outline(spec, gid, round(size, 3))
    if not rest:
        return ""
    return f"M{x + dx:.2f} {y + dy:.2f}{rest}"
