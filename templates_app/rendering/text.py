"""Text layout: shape with HarfBuzz, wrap into the box, shrink to fit, truncate, place glyphs.

Pipeline per text element: normalise → split into paragraphs at "\\n" → resolve bidi levels
(UAX #9) → itemize into runs of one font, one level and one script (per-character font
fallback) → shape each run once in its own direction (em units, size-free) → wrap greedily
at break opportunities for a given size → shrink/truncate → reorder each line's runs into
visual order (UAX #9 rule L2) → positioned glyphs. Shaping is size-independent, so the
shrink search only re-wraps cached advances.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import uharfbuzz as hb
from bidi import get_base_level, get_display
from fontTools.unicodedata import script as unicode_script

from . import fonts

log = logging.getLogger(__name__)

EPSILON = 0.01  # px of slack so float noise never pushes a fitting line over
ELLIPSIS = "\u2026"
_HYPHENS = frozenset("-\u2010\u2013\u2014/")
# Inherit the surrounding run's font so marks, joiners and spaces stay in one shaping run.
_INHERITING_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Zs", "Cf"})
# Characters that can make a paragraph need reordering; without any, every level is 0.
_RTL_BIDI_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI", "FSI"})
_NEUTRAL_SCRIPTS = frozenset({"Zyyy", "Zinh", "Zzzz"})
_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")


class ShapedGlyph(NamedTuple):
    cluster: int  # index of the first character of its cluster in the paragraph
    gid: int
    advance: float  # em
    dx: float  # em
    dy: float  # em, y-up
    face: int  # index into the fallback chain
    run: int


@dataclass(frozen=True)
class ShapedParagraph:
    """One paragraph shaped once; widths for any size come from prefix sums."""

    text: str
    glyphs: tuple[ShapedGlyph, ...]  # logical order, clusters ascending
    clusters: tuple[int, ...]  # cluster of each glyph, for bisect
    run_levels: tuple[int, ...]  # bidi embedding level of each run (odd = right-to-left)
    base_level: int  # the paragraph's level: 0 left-to-right, 1 right-to-left
    advance_prefix: tuple[float, ...]  # em advance of clusters before char i
    cluster_prefix: tuple[int, ...]  # number of cluster starts before char i
    cluster_starts: tuple[int, ...]  # ascending, ends with len(text)
    breaks: tuple[int, ...]  # break opportunities, ascending, ends with len(text)
    trimmed: tuple[int, ...]  # for each end i, i minus the whitespace just before it

    def width(self, start: int, end: int, size: float, letter_spacing: float) -> float:
        """Width in px of characters [start, end) at `size`; spacing goes between clusters."""
        clusters = self.cluster_prefix[end] - self.cluster_prefix[start]
        advance = (self.advance_prefix[end] - self.advance_prefix[start]) * size
        return advance + letter_spacing * max(0, clusters - 1)

    def trim_end(self, start: int, end: int) -> int:
        return max(start, self.trimmed[end])

    def glyph_slice(self, start: int, end: int) -> list[ShapedGlyph]:
        return list(self.glyphs[bisect_left(self.clusters, start) : bisect_left(self.clusters, end)])


@dataclass(frozen=True)
class PlacedGlyph:
    face: fonts.FaceSpec
    gid: int
    x: float  # baseline origin, document px
    y: float
    size: float  # px per em


@dataclass
class TextLayout:
    font_size: float
    line_count: int
    glyphs: list[PlacedGlyph] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def normalise_text(text: str, transform: str = "none") -> str:
    """Line breaks to "\\n", tabs to spaces, other control characters dropped; then the case transform."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    if transform == "uppercase":
        return text.upper()
    if transform == "lowercase":
        return text.lower()
    return text


def bidi_levels(text: str) -> tuple[int, list[int]]:
    """The paragraph's base level and each character's resolved embedding level (UAX #9).

    python-bidi (the Rust unicode-bidi crate) exposes its resolved levels only through its
    debug output, one per UTF-8 byte; they are read from there.
    """
    if not any(unicodedata.bidirectional(ch) in _RTL_BIDI_CLASSES for ch in text):
        return 0, [0] * len(text)
    base = get_base_level(text)
    info = get_display(text, debug=True)
    section = info.split("levels: [", 1)[-1].split("]", 1)[0]
    byte_levels = [int(level) for level in _LEVEL.findall(section)]
    if len(byte_levels) != len(text.encode()):
        log.warning("python-bidi debug output changed shape; using approximate bidi levels")
        return base, _approximate_levels(text, base)
    levels = []
    offset = 0
    for ch in text:
        levels.append(byte_levels[offset])
        offset += len(ch.encode())
    return base, levels


def _approximate_levels(text: str, base: int) -> list[int]:
    """Strong characters keep their direction, numbers read left to right; neutrals take the base."""
    levels = []
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            levels.append(1)
        elif kind == "AN" or (base and kind in ("L", "EN")):
            levels.append(2)
        else:
            levels.append(base)
    return levels


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    return unicode_script(ch)


def _resolved_scripts(raw: list[str]) -> list[str]:
    """Each character's script with common and inherited ones given their neighbour's."""
    scripts = list(raw)
    first = next((sc for sc in scripts if sc not in _NEUTRAL_SCRIPTS), "Zyyy")
    previous = first
    for i, sc in enumerate(scripts):
        if sc in _NEUTRAL_SCRIPTS:
            scripts[i] = previous
        else:
            previous = sc
    return scripts


class Run(NamedTuple):
    start: int
    end: int
    face: int  # index into the fallback chain
    level: int
    script: str


def _itemize(text: str, chain: tuple[fonts.FaceSpec, ...], levels: list[int]) -> list[Run]:
    """Split `text` into runs of one face, one bidi level and one script.

    Each character takes the first face of the chain that has it; spaces, marks, joiners and
    common punctuation the current face has stay with it, so they shape with their neighbours.
    """

    # Coverage sets are looked up lazily: Latin text in a Latin font never loads the CJK face.
    covers: list[frozenset[int] | None] = [None] * len(chain)

    def covered(face: int, code: int) -> bool:
        cover = covers[face]
        if cover is None:
            cover = covers[face] = fonts.coverage(chain[face].path, chain[face].stamp)
        return code in cover

    raw_scripts = [_script(ch) for ch in text]
    scripts = _resolved_scripts(raw_scripts)
    runs: list[Run] = []
    current: int | None = None
    start = 0
    for i, ch in enumerate(text):
        code = ord(ch)
        if current is not None and (
            unicodedata.category(ch) in _INHERITING_CATEGORIES
            or (raw_scripts[i] in _NEUTRAL_SCRIPTS and covered(current, code))
        ):
            face = current
        else:
            # Nothing covers it: the primary font's .notdef box, like a browser's tofu.
            face = next((k for k in range(len(chain)) if covered(k, code)), 0)
        if i > start and (face != current or levels[i] != levels[start] or scripts[i] != scripts[start]):
            runs.append(Run(start, i, current, levels[start], scripts[start]))
            start = i
        current = face
    if text:
        runs.append(Run(start, len(text), current, levels[start], scripts[start]))
    return runs


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _break_opportunities(text: str, cluster_start: list[bool]) -> list[int]:
    breaks = []
    for i in range(1, len(text)):
        if not cluster_start[i] or text[i].isspace():
            continue
        prev = text[i - 1]
        if prev.isspace() or (prev in _HYPHENS and text[i].isalnum()) or _is_wide(prev) or _is_wide(text[i]):
            breaks.append(i)
    breaks.append(len(text))
    return breaks


@lru_cache(maxsize=512)
def shape_paragraph(text: str, chain: tuple[fonts.FaceSpec, ...], ligatures: bool = True) -> ShapedParagraph:
    """Shape one paragraph (no "\\n") with per-character font fallback; cached."""
    features = {"kern": True, "liga": ligatures, "clig": ligatures}
    base_level, levels = bidi_levels(text)
    glyphs: list[ShapedGlyph] = []
    run_levels: list[int] = []
    for run_index, run in enumerate(_itemize(text, chain, levels)):
        spec = chain[run.face]
        buf = hb.Buffer()
        # The whole paragraph is passed as context (Arabic joining across a font switch).
        buf.add_str(text, run.start, run.end - run.start)
        buf.direction = "rtl" if run.level % 2 else "ltr"
        if run.script not in _NEUTRAL_SCRIPTS:
            buf.script = run.script
        buf.guess_segment_properties()
        hb.shape(fonts.hb_font(spec), buf, features)
        upem = fonts.units_per_em(spec)
        run_glyphs = [
            ShapedGlyph(
                info.cluster,
                info.codepoint,
                pos.x_advance / upem,
                pos.x_offset / upem,
                pos.y_offset / upem,
                run.face,
                run_index,
            )
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
        ]
        if run.level % 2:
            run_glyphs.reverse()  # HarfBuzz returns visual order; keep logical order for wrapping
        glyphs.extend(run_glyphs)
        run_levels.append(run.level)

    n = len(text)
    per_char = [0.0] * n
    is_start = [False] * n
    for g in glyphs:
        per_char[g.cluster] += g.advance
        is_start[g.cluster] = True
    advance_prefix = [0.0]
    cluster_prefix = [0]
    for i in range(n):
        advance_prefix.append(advance_prefix[-1] + per_char[i])
        cluster_prefix.append(cluster_prefix[-1] + is_start[i])
    starts = [i for i in range(n) if is_start[i]] + [n]
    trimmed = [0] * (n + 1)
    for i in range(1, n + 1):
        trimmed[i] = trimmed[i - 1] if text[i - 1].isspace() else i
    return ShapedParagraph(
        text=text,
        glyphs=tuple(glyphs),
        clusters=tuple(g.cluster for g in glyphs),
        run_levels=tuple(run_levels),
        base_level=base_level,
        advance_prefix=tuple(advance_prefix),
        cluster_prefix=tuple(cluster_prefix),
        cluster_starts=tuple(starts),
        breaks=tuple(_break_opportunities(text, is_start)),
        trimmed=tuple(trimmed),
    )


class Line(NamedTuple):
    paragraph: int
    start: int
    end: int  # trailing whitespace excluded


def _wrap(par: ShapedParagraph, index: int, size: float, spacing: float, width: float) -> tuple[list[Line], bool]:
    """Greedy wrap of one paragraph; also says whether a word had to be broken."""
    n = len(par.text)
    if n == 0:
        return [Line(index, 0, 0)], False
    lines: list[Line] = []
    broke_word = False
    start = 0
    while start < n:
        j = bisect_right(par.breaks, start)
        best = None
        while j < len(par.breaks):
            candidate = par.breaks[j]
            if par.width(start, par.trim_end(start, candidate), size, spacing) > width + EPSILON:
                break
            best = candidate
            j += 1
        if best is not None:
            lines.append(Line(index, start, par.trim_end(start, best)))
            start = best
            continue
        # The first word alone is wider than the box: break it between clusters.
        word_end = par.trim_end(start, par.breaks[j])
        q = bisect_right(par.cluster_starts, start)
        cut = par.cluster_starts[q]  # always at least one cluster per line
        while (
            q + 1 < len(par.cluster_starts)
            and par.cluster_starts[q + 1] <= word_end
            and par.width(start, par.cluster_starts[q + 1], size, spacing) <= width + EPSILON
        ):
            q += 1
            cut = par.cluster_starts[q]
        lines.append(Line(index, start, cut))
        broke_word = True
        start = cut
    return lines, broke_word


def _wrap_all(paragraphs: list[ShapedParagraph], size: float, spacing: float, width: float) -> tuple[list[Line], bool]:
    lines: list[Line] = []
    broke_any = False
    for index, par in enumerate(paragraphs):
        par_lines, broke = _wrap(par, index, size, spacing, width)
        lines.extend(par_lines)
        broke_any = broke_any or broke
    return lines, broke_any


def _choose_size(paragraphs: list[ShapedParagraph], el: dict, width: float, height: float) -> float:
    """Largest size in [min_font_size, font_size] whose wrapped text fits the box (binary search)."""
    size = float(el["font_size"])
    minimum = min(size, float(el.get("min_font_size") or size))
    spacing = float(el["letter_spacing"])
    line_height = float(el["line_height"])
    max_lines = el.get("max_lines")

    def fits(candidate: float, keep_words: bool) -> bool:
        lines, broke = _wrap_all(paragraphs, candidate, spacing, width)
        if keep_words and broke:
            return False
        if max_lines and len(lines) > max_lines:
            return False
        return len(lines) * line_height * candidate <= height + EPSILON

    # Prefer a size at which no word is split; if none exists, split words rather than shrink for them.
    for keep_words in (True, False):
        if fits(size, keep_words):
            return size
        if fits(minimum, keep_words):
            low, high = minimum, size
            while high - low > 0.05:
                mid = (low + high) / 2
                low, high = (mid, high) if fits(mid, keep_words) else (low, mid)
            return max(minimum, math.floor(low * 10) / 10)
    return minimum


def _visual_order(groups: list[tuple[int, list[ShapedGlyph]]]) -> list[ShapedGlyph]:
    """Glyph runs of one line, given in logical order with their levels, in visual order (UAX #9 L2).

    From the highest level down to the lowest odd one, every maximal sequence of runs at that
    level or above is reversed; then right-to-left runs are laid out right to left.
    """
    levels = [level for level, _ in groups]
    odd = [level for level in levels if level % 2]
    if odd:
        order = list(range(len(groups)))
        for level in range(max(levels), min(odd) - 1, -1):
            i = 0
            while i < len(order):
                if levels[order[i]] < level:
                    i += 1
                    continue
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
        groups = [groups[k] for k in order]
    out: list[ShapedGlyph] = []
    for level, glyphs in groups:
        out.extend(reversed(glyphs) if level % 2 else glyphs)
    return out


def _line_runs(par: ShapedParagraph, start: int, end: int) -> list[tuple[int, list[ShapedGlyph]]]:
    """The glyphs of characters [start, end) grouped by shaping run, in logical order."""
    groups: list[tuple[int, list[ShapedGlyph]]] = []
    for g in par.glyph_slice(start, end):
        if groups and groups[-1][1][-1].run == g.run:
            groups[-1][1].append(g)
        else:
            groups.append((par.run_levels[g.run], [g]))
    return groups


def layout_text(el: dict, account_fonts: tuple[fonts.AccountFont, ...] = ()) -> TextLayout:
    """Lay out a text element's glyphs inside its box; warnings say when text was shrunk or cut.

    `account_fonts` are the fonts the document's account uploaded (see fonts.account_fonts).
    """
    name = el.get("name")
    text = normalise_text(el.get("text") or "", el.get("text_transform") or "none")
    box_x, box_y = float(el["x"]), float(el["y"])
    width, height = max(0.0, float(el["width"])), max(0.0, float(el["height"]))
    font_size = float(el["font_size"])
    spacing = float(el["letter_spacing"])
    line_height = float(el["line_height"])
    max_lines = el.get("max_lines")
    ligatures = spacing == 0  # browsers drop optional ligatures once letters are spaced
    chain = fonts.fallback_chain(
        el.get("font_family") or fonts.DEFAULT_FAMILY,
        int(el["font_weight"]),
        bool(el["italic"]),
        account_fonts,
    )

    if not text.strip() or font_size <= 0:
        return TextLayout(font_size=font_size, line_count=0)

    paragraphs = [shape_paragraph(p, chain, ligatures) for p in text.split("\n")]
    warnings: list[dict] = []
    size = font_size
    if el.get("fit", "shrink") == "shrink":
        size = _choose_size(paragraphs, el, width, height)
        if size < font_size:
            warnings.append(
                {
                    "code": "text_shrunk",
                    "element": name,
                    "message": f"Text shrunk from {font_size:g}px to {size:g}px to fit its box.",
                }
            )

    lines, _ = _wrap_all(paragraphs, size, spacing, width)
    line_box = line_height * size
    keep = len(lines)
    if max_lines:
        keep = min(keep, int(max_lines))
    fitting = int((height + EPSILON) // line_box) if line_box > 0 else keep
    keep = max(1, min(keep, fitting))  # the first line is always drawn (clipped if need be)
    truncated = keep < len(lines)
    lines = lines[:keep]
    if truncated:
        warnings.append(
            {
                "code": "text_truncated",
                "element": name,
                "message": f"Text cut after {keep} line{'s' if keep != 1 else ''}; the rest did not fit.",
            }
        )

    ascender, descender = fonts.vertical_metrics(chain[0])
    # CSS line box: the leading is split evenly above and below the glyphs' ascent + descent.
    baseline_offset = (line_box - (ascender + descender) * size) / 2 + ascender * size
    block = len(lines) * line_box
    valign = el.get("vertical_align", "top")
    top = box_y + {
        "top": 0.0,
        "middle": (height - block) / 2,
        "bottom": height - block,
    }.get(valign, 0.0)

    ellipsis = shape_paragraph(ELLIPSIS, chain, ligatures)
    ellipsis_width = ellipsis.width(0, len(ELLIPSIS), size, spacing)
    placed: list[PlacedGlyph] = []
    for row, line in enumerate(lines):
        par = paragraphs[line.paragraph]
        end = line.end
        extra: list[ShapedGlyph] = []
        if truncated and row == len(lines) - 1:
            # Shorten the last line until its text plus "…" fits the width.
            while end > line.start and (
                par.width(line.start, end, size, spacing) + spacing + ellipsis_width > width + EPSILON
            ):
                end = par.cluster_starts[bisect_left(par.cluster_starts, end) - 1]
            end = par.trim_end(line.start, end)
            extra = [g._replace(run=-1) for g in ellipsis.glyphs]
        line_width = par.width(line.start, end, size, spacing)
        if extra:
            line_width += (spacing if end > line.start else 0) + ellipsis_width
        align = el.get("align", "left")
        x = box_x + {
            "left": 0.0,
            "center": (width - line_width) / 2,
            "right": width - line_width,
        }.get(align, 0.0)
        baseline = top + row * line_box + baseline_offset
        groups = _line_runs(par, line.start, end)
        if extra:
            # "…" ends the line logically: on the right of left-to-right text, the left of right-to-left.
            groups.append((par.base_level, extra))
        glyphs = _visual_order(groups)
        for k, g in enumerate(glyphs):
            spec = chain[g.face]
            placed.append(PlacedGlyph(spec, g.gid, x + g.dx * size, baseline - g.dy * size, size))
            x += g.advance * size
            if k + 1 < len(glyphs) and (glyphs[k + 1].cluster != g.cluster or glyphs[k + 1].run != g.run):
                x += spacing  # letter spacing goes between clusters, not inside them
    return TextLayout(font_size=size, line_count=len(lines), glyphs=placed, warnings=warnings)


def layout_path_data(layout: TextLayout) -> str:
    """All glyph outlines of a layout as one SVG path's data (one node is cheapest for CairoSVG)."""
    return "".join(fonts.outline_path_data(g.face, g.gid, g.x, g.y, g.size) for g in layout.glyphs)
