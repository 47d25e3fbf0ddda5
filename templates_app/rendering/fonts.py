"""Font registry and font access: family → files, face resolution, HarfBuzz fonts, glyph outlines.

Only fonts shipped in the repo (`static/fonts/`) and fonts an account uploaded (passed in
per render, never registered globally) are ever used, never the system's, so a render
looks the same on every machine.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from fontTools.pens.basePen import decomposeQuadraticSegment
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from .errors import RenderError

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"

DEFAULT_FAMILY = "Inter"
# Tried in order for characters the chosen family lacks: a pan-European sans, the script
# fonts, then DejaVu for what Noto leaves out here (symbols, arrows, Armenian, Georgian…).
FALLBACK_FAMILIES: tuple[str, ...] = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans SC",
    "DejaVu Sans",
)

# Oblique angle for a family without an italic file (tan of ~11°, like browsers).
SYNTHETIC_SLANT = 0.2
# Extra stroke (em) when bold is asked of a family that has no bold file, as browsers do.
SYNTHETIC_BOLD = 0.02

OFL = "OFL-1.1"


@dataclass(frozen=True)
class FontFile:
    """One font file of a family; a variable file covers a weight range."""

    path: str  # relative to FONT_DIR, or absolute for an account's font
    italic: bool
    weight_min: int
    weight_max: int
    variable: bool = False
    stamp: int = 0  # identity of an account's file (see AccountFont); 0 for shipped files


@dataclass(frozen=True)
class Family:
    """A shipped family: its files and what the catalogue says about it."""

    files: tuple[FontFile, ...]
    category: str  # sans-serif, serif, monospace, display, or fallback (script coverage)
    licence: str  # SPDX identifier
    licence_file: str  # relative to FONT_DIR
    source: str  # where the files come from (see the README next to them)


def _static(folder: str, stem: str, italics: bool = True, bold: bool = True) -> tuple[FontFile, ...]:
    """The 400/700 (+ italic) files of an @expo-google-fonts package, named as it names them."""
    files = [FontFile(f"{folder}/{stem}_400Regular.ttf", False, 400, 400)]
    if bold:
        files.append(FontFile(f"{folder}/{stem}_700Bold.ttf", False, 700, 700))
    if italics:
        files.append(FontFile(f"{folder}/{stem}_400Regular_Italic.ttf", True, 400, 400))
        if bold:
            files.append(FontFile(f"{folder}/{stem}_700Bold_Italic.ttf", True, 700, 700))
    return tuple(files)


def _google(folder: str, stem: str, category: str, package: str, **kwargs: bool) -> Family:
    return Family(_static(folder, stem, **kwargs), category, OFL, f"{folder}/OFL.txt", f"npm {package}")


_FAMILIES: dict[str, Family] = {
    "Inter": Family(
        (
            FontFile("inter/InterVariable.ttf", False, 100, 900, variable=True),
            FontFile("inter/InterVariable-Italic.ttf", True, 100, 900, variable=True),
        ),
        "sans-serif",
        OFL,
        "inter/OFL.txt",
        "npm inter-ui@4.1.1",
    ),
    "Roboto": _google("roboto", "Roboto", "sans-serif", "@expo-google-fonts/roboto@0.4.3"),
    "Open Sans": _google("open-sans", "OpenSans", "sans-serif", "@expo-google-fonts/open-sans@0.4.2"),
    "Montserrat": _google("montserrat", "Montserrat", "sans-serif", "@expo-google-fonts/montserrat@0.4.2"),
    "Lato": _google("lato", "Lato", "sans-serif", "@expo-google-fonts/lato@0.4.1"),
    "Poppins": _google("poppins", "Poppins", "sans-serif", "@expo-google-fonts/poppins@0.4.1"),
    "Playfair Display": _google(
        "playfair-display", "PlayfairDisplay", "serif", "@expo-google-fonts/playfair-display@0.4.2"
    ),
    "Oswald": _google("oswald", "Oswald", "display", "@expo-google-fonts/oswald@0.4.2", italics=False),
    "Source Sans 3": _google("source-sans-3", "SourceSans3", "sans-serif", "@expo-google-fonts/source-sans-3@0.4.1"),
    "Merriweather": _google("merriweather", "Merriweather", "serif", "@expo-google-fonts/merriweather@0.4.2"),
    "JetBrains Mono": _google(
        "jetbrains-mono", "JetBrainsMono", "monospace", "@expo-google-fonts/jetbrains-mono@0.4.1"
    ),
    "Noto Sans": _google("noto-sans", "NotoSans", "sans-serif", "@expo-google-fonts/noto-sans@0.4.2"),
    "Noto Sans Arabic": _google(
        "noto-sans-arabic", "NotoSansArabic", "fallback", "@expo-google-fonts/noto-sans-arabic@0.4.3", italics=False
    ),
    "Noto Sans Hebrew": _google(
        "noto-sans-hebrew", "NotoSansHebrew", "fallback", "@expo-google-fonts/noto-sans-hebrew@0.4.1", italics=False
    ),
    "Noto Sans Devanagari": _google(
        "noto-sans-devanagari",
        "NotoSansDevanagari",
        "fallback",
        "@expo-google-fonts/noto-sans-devanagari@0.4.1",
        italics=False,
    ),
    # Chinese (simplified and traditional common characters) and Japanese kana/kanji; one weight.
    "Noto Sans SC": _google(
        "noto-sans-sc", "NotoSansSC", "fallback", "@expo-google-fonts/noto-sans-sc@0.4.3", italics=False, bold=False
    ),
    "DejaVu Sans": Family(
        (
            FontFile("dejavu/DejaVuSans.ttf", False, 400, 400),
            FontFile("dejavu/DejaVuSans-Bold.ttf", False, 700, 700),
        ),
        "fallback",
        "Bitstream-Vera",
        "dejavu/LICENSE.txt",
        "npm dejavu-fonts-ttf@2.37.3",
    ),
}

FAMILIES: dict[str, tuple[FontFile, ...]] = {name: family.files for name, family in _FAMILIES.items()}
_FAMILY_BY_KEY = {name.casefold(): name for name in FAMILIES}


@dataclass(frozen=True)
class FaceSpec:
    """A concrete face to shape and draw with: a file plus axis values and synthetic styling.

    Hashable, so it keys every cache below.
    """

    path: str
    wght: int | None = None  # set for variable fonts
    slant: float = 0.0  # synthetic oblique when the family has no italic
    embolden: float = 0.0  # synthetic bold when the family has no bold
    stamp: int = 0  # changes when an account's font file is replaced at the same path


@dataclass(frozen=True)
class AccountFont:
    """A font an account uploaded, as the document names it; lives only for one render."""

    family: str
    weight: int
    italic: bool
    path: str  # absolute path of a validated TTF/OTF
    # Inode, mtime and size: a file replaced at the same path gets new cache entries.
    stamp: int = 0


def family_names() -> list[str]:
    """Names of the shipped families (the font catalogue's keys)."""
    return list(FAMILIES)


def catalogue() -> list[dict]:
    """The shipped families for the font catalogue, with weights, italic, category and licence.

    Script fonts the fallback chain uses (Noto Sans Arabic/Hebrew/Devanagari/SC, DejaVu Sans)
    are listed too, with category "fallback": they can also be chosen by name.
    """
    entries = []
    for name, family in _FAMILIES.items():
        weights: set[int] = set()
        for file in family.files:
            step = 100 if file.variable else max(1, file.weight_max - file.weight_min)
            weights.update(range(file.weight_min, file.weight_max + 1, step))
        entries.append(
            {
                "family": name,
                "weights": sorted(weights),
                "italic": any(file.italic for file in family.files),
                "category": family.category,
                "licence": family.licence,
                "licence_file": f"fonts/{family.licence_file}",  # relative to the static root
                "source": family.source,
            }
        )
    return entries


def licence_path(entry: dict) -> Path:
    """The licence file of a catalogue entry on disk."""
    return FONT_DIR.parent / entry["licence_file"]


def account_fonts(entries: list[dict] | None) -> tuple[AccountFont, ...]:
    """The document's `fonts` list as hashable records (bad entries are a render error)."""
    out = []
    for entry in entries or ():
        try:
            family = " ".join(str(entry["family"]).split())
            weight = int(entry.get("weight", 400))
            italic = bool(entry.get("italic", False))
            path = Path(str(entry["path"]))
        except (KeyError, TypeError, ValueError):
            raise RenderError("An account font entry is malformed.") from None
        try:
            if not path.is_absolute():
                raise FileNotFoundError(path)
            info = path.stat()
        except OSError:
            raise RenderError(f"The font file of '{family}' is missing.") from None
        stamp = hash((info.st_ino, info.st_mtime_ns, info.st_size))
        out.append(AccountFont(family, weight, italic, str(path), stamp))
    return tuple(out)


def _weight_distance(file: FontFile, weight: int) -> tuple[int, int]:
    if file.weight_min <= weight <= file.weight_max:
        return (0, 0)
    nearest = file.weight_min if weight < file.weight_min else file.weight_max
    # On a tie, CSS prefers heavier for bold requests and lighter for light ones.
    prefer_heavier = weight >= 400
    return (abs(nearest - weight), 0 if (nearest > weight) == prefer_heavier else 1)


def _pick(files: tuple[FontFile, ...], weight: int, italic: bool) -> FaceSpec:
    same_style = [f for f in files if f.italic == italic] or list(files)
    best = min(same_style, key=lambda f: _weight_distance(f, weight))
    slant = SYNTHETIC_SLANT if italic and not best.italic else 0.0
    wght = max(best.weight_min, min(best.weight_max, weight)) if best.variable else None
    # CSS font-synthesis: bold (≥ 600) asked of a family whose nearest face is regular or lighter.
    embolden = SYNTHETIC_BOLD if weight >= 600 and best.weight_max <= 500 else 0.0
    return FaceSpec(best.path, wght, slant, embolden, best.stamp)


def resolve_face(family: str, weight: int, italic: bool, account: tuple[AccountFont, ...] = ()) -> FaceSpec:
    """The face of `family` closest to `weight`/`italic`; unknown families fall back to Inter.

    An account font of that name (case-insensitive) wins over the catalogue.
    """
    key = " ".join((family or "").split()).casefold()
    own = tuple(
        FontFile(f.path, f.italic, f.weight, f.weight, stamp=f.stamp) for f in account if f.family.casefold() == key
    )
    if own:
        return _pick(own, weight, italic)
    name = _FAMILY_BY_KEY.get(key, DEFAULT_FAMILY)
    return _pick(FAMILIES[name], weight, italic)


@lru_cache(maxsize=1024)
def fallback_chain(
    family: str, weight: int, italic: bool, account: tuple[AccountFont, ...] = ()
) -> tuple[FaceSpec, ...]:
    """The chosen face followed by the fallback faces, for per-character font selection."""
    chain = [resolve_face(family, weight, italic, account)]
    for name in FALLBACK_FAMILIES:
        spec = resolve_face(name, weight, italic)
        if spec not in chain:
            chain.append(spec)
    return tuple(chain)


@lru_cache(maxsize=64)
def _hb_face(path: str, stamp: int = 0) -> hb.Face:
    # Faces are keyed by path: account fonts (absolute paths) never mix with shipped ones.
    return hb.Face(hb.Blob.from_file_path(str(FONT_DIR / path)))


@lru_cache(maxsize=64)
def coverage(path: str, stamp: int = 0) -> frozenset[int]:
    """Code points the font file maps to a glyph."""
    return frozenset(_hb_face(path, stamp).unicodes)


@lru_cache(maxsize=128)
def hb_font(spec: FaceSpec) -> hb.Font:
    """A HarfBuzz font for `spec` at scale = units per em (positions come out in font units)."""
    font = hb.Font(_hb_face(spec.path, spec.stamp))
    if spec.wght is not None:
        font.set_variations({"wght": spec.wght})
    if spec.slant:
        font.synthetic_slant = spec.slant
    if spec.embolden:
        font.synthetic_bold = spec.embolden
    return font


@lru_cache(maxsize=128)
def units_per_em(spec: FaceSpec) -> int:
    return _hb_face(spec.path, spec.stamp).upem


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


# --- Uploaded fonts ---------------------------------------------------------------

MAX_FONT_BYTES = 10 * 1024 * 1024
# Ceiling for what a WOFF/WOFF2 may expand to: checked before fontTools decompresses
# anything, so a small file cannot become a decompression bomb.
MAX_SFNT_BYTES = 64 * 1024 * 1024
MAX_GLYPHS = 65535
MAX_WOFF2_GLYPHS = 10000
_MAGIC = {
    b"\x00\x01\x00\x00": "ttf",
    b"true": "ttf",
    b"OTTO": "otf",
    b"wOFF": "woff",
    b"wOF2": "woff2",
}


def _invalid(message: str = "The file is not a valid TTF, OTF, WOFF or WOFF2 font.") -> RenderError:
    return RenderError(message, code="invalid_font")


def _bounded_inflate(data: bytes, limit: int) -> int:
    """Size of zlib `data` inflated, refusing to produce more than `limit` bytes."""
    inflater = zlib.decompressobj()
    try:
        size = len(inflater.decompress(data, limit + 1))
    except zlib.error:
        raise _invalid() from None
    if size > limit or inflater.unconsumed_tail:
        raise _invalid()
    return size


def _check_woff_sizes(data: bytes) -> None:
    """WOFF 1: every zlib table and the metadata must inflate to what the directory says."""
    try:
        num_tables, _, total = struct.unpack_from(">HHL", data, 12)
        meta_offset, meta_length, meta_orig = struct.unpack_from(">LLL", data, 24)
        entries = [struct.unpack_from(">4sLLLL", data, 44 + 20 * i) for i in range(num_tables)]
    except struct.error:
        raise _invalid() from None
    if total > MAX_SFNT_BYTES or sum(entry[3] for entry in entries) > MAX_SFNT_BYTES:
        raise _invalid()
    for _, offset, comp_length, orig_length, _ in entries:
        if offset + comp_length > len(data):
            raise _invalid()
        if comp_length < orig_length:
            _bounded_inflate(data[offset : offset + comp_length], orig_length)
    if meta_length:
        _bounded_inflate(data[meta_offset : meta_offset + meta_length], min(meta_orig, MAX_SFNT_BYTES))


def _check_woff2_sizes(data: bytes) -> None:
    """WOFF 2: the one Brotli stream must expand to exactly the sum of the table lengths."""
    import brotli
    from fontTools.ttLib.woff2 import WOFF2DirectoryEntry, woff2DirectorySize

    try:
        flavor = data[4:8]
        num_tables, _, _, compressed_size = struct.unpack_from(">HHLL", data, 12)
        meta_offset, meta_length, meta_orig = struct.unpack_from(">LLL", data, 28)
        stream = io.BytesIO(data)
        stream.seek(woff2DirectorySize)
        expected = original = 0
        for _ in range(num_tables):
            entry = WOFF2DirectoryEntry()
            entry.fromFile(stream)
            expected += entry.length
            original += entry.origLength
    except Exception:
        raise _invalid() from None
    if flavor == b"ttcf":
        raise _invalid("Font collections are not accepted; upload one font.")
    if expected > MAX_SFNT_BYTES or original > MAX_SFNT_BYTES:
        raise _invalid()
    start = stream.tell()
    try:
        out = brotli.Decompressor().process(data[start : start + compressed_size], output_buffer_limit=expected + 1)
    except brotli.error:
        raise _invalid() from None
    if len(out) != expected:
        raise _invalid()
    if meta_length:
        # The metadata block is Brotli too in WOFF 2.
        try:
            meta = brotli.Decompressor().process(
                data[meta_offset : meta_offset + meta_length], output_buffer_limit=min(meta_orig, MAX_SFNT_BYTES) + 1
            )
        except brotli.error:
            raise _invalid() from None
        if len(meta) > meta_orig:
            raise _invalid()


def _family_name(font: TTFont) -> str:
    name = font["name"]
    for name_id in (16, 1):
        record = name.getDebugName(name_id)
        if record and record.strip():
            return " ".join(record.split())[:64]
    return ""


def inspect_font(data: bytes) -> dict:
    """Validate an uploaded font and describe it: family, weight, italic, format and plain sfnt bytes.

    Raises RenderError(code="invalid_font") for anything that is not one usable TTF/OTF/WOFF/WOFF2.
    """
    if len(data) > MAX_FONT_BYTES:
        raise _invalid("Font files are limited to 10 MB.")
    magic = bytes(data[:4])
    if magic == b"ttcf":
        raise _invalid("Font collections (.ttc) are not accepted; upload one font.")
    fmt = _MAGIC.get(magic)
    if fmt is None:
        raise _invalid()
    if fmt == "woff":
        _check_woff_sizes(data)
    elif fmt == "woff2":
        _check_woff2_sizes(data)
    try:
        font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
        outlines = "glyf" in font or "CFF " in font or "CFF2" in font
        if not outlines or "cmap" not in font or "head" not in font or "hmtx" not in font:
            raise _invalid("The font has no outlines or no character map.")
        glyphs = font["maxp"].numGlyphs
        if not 0 < glyphs <= MAX_GLYPHS:
            raise _invalid("The font has no glyphs or too many.")
        if fmt == "woff2" and glyphs > MAX_WOFF2_GLYPHS:
            # fontTools rebuilds WOFF2 outlines in Python (~1 ms a glyph): refuse the huge ones.
            raise _invalid(f"WOFF2 fonts are limited to {MAX_WOFF2_GLYPHS} glyphs; upload it as TTF, OTF or WOFF.")
        # Every table's bytes must be there (a truncated file fails here, not mid-render);
        # the core tables are parsed, the layout tables are left to HarfBuzz's sanitiser.
        for tag in list(font.reader.tables):
            font.reader[tag]
        for tag in ("head", "hhea", "maxp", "name", "OS/2", "post", "hmtx"):
            if tag in font:
                font[tag]
        cmap = font.getBestCmap()
        if not cmap:
            raise _invalid("The font has no Unicode character map.")
        # Drawing a few real glyphs proves the outline data decodes.
        glyph_set = font.getGlyphSet()
        for code in sorted(cmap)[:32]:
            glyph_set[cmap[code]].draw(RecordingPen())
        family = _family_name(font)
        os2 = font.get("OS/2")
        weight = int(os2.usWeightClass) if os2 is not None else 400
        italic = bool(os2.fsSelection & 0x01) if os2 is not None else False
        italic = italic or bool(font["head"].macStyle & 0x02)
        if fmt in ("woff", "woff2"):
            font.flavor = None
            out = io.BytesIO()
            font.save(out, reorderTables=False)
            sfnt = out.getvalue()
        else:
            sfnt = bytes(data)
    except RenderError:
        raise
    except Exception:
        raise _invalid() from None
    # HarfBuzz is what renders it: it must load the same bytes and find the glyphs.
    face = hb.Face(hb.Blob(sfnt))
    if face.glyph_count != glyphs or not face.unicodes:
        raise _invalid()
    return {
        "family": family,
        "weight": max(1, min(1000, weight)),
        "italic": italic,
        "format": fmt,
        "ttf": sfnt,
    }
