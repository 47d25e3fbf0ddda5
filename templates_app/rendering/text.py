"""Text layout: shape with HarfBuzz, wrap into the box, shrink to fit, truncate, place glyphs.

Pipeline per text element: normalise → split into paragraphs at "\\n" → pick a font per
character from the fallback chain (itemize) → shape each run once (em units, size-free) →
wrap greedily at break opportunities for a given size → shrink/truncate → positioned glyphs.
Shaping is size-independent, so the shrink search only re-wraps cached advances.
Bidi reordering is per run for now (a pure RTL run reads correctly); a full UBA pass can be
slotted in between itemize and wrap later.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import uharfbuzz as hb

from . import fonts

EPSILON = 0.01  # px of slack so float noise never pushes a fitting line over
ELLIPSIS = "\u2026"
_HYPHENS = frozenset("-\u2010\u2013\u2014/")
# Inherit the surrounding run's font so marks, joiners and spaces stay in one shaping run.
_INHERITING_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Zs", "Cf"})


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
    rtl_runs: tuple[bool, ...]
    advance_prefix: tuple[float, ...]  # em advance of clusters before char i
    cluster_prefix: tuple[int, ...]  # number of cluster starts before char i
    cluster_starts: tuple[int, ...]  # ascending, ends with len(text)
    breaks: tuple[int, ...]  # break opportunities, ascending, ends with len(text)

    def width(self, start: int, end: int, size: float, letter_spacing: float) -> float:
        """Width in px of characters [start, end) at `size`; spacing goes between clusters."""
        clusters = self.cluster_prefix[end] - self.cluster_prefix[start]
        advance = (self.advance_prefix[end] - self.advance_prefix[start]) * size
        return advance + letter_spacing * max(0, clusters - 1)

    def trim_end(self, start: int, end: int) -> int:
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return end

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


def _itemize(text: str, chain: tuple[fonts.FaceSpec, ...]) -> list[tuple[int, int, int]]:
    """Split `text` into (start, end, face index) runs: the first face that has each character."""
    covers = [fonts.coverage(spec.path) for spec in chain]
    runs: list[tuple[int, int, int]] = []
    current: int | None = None
    start = 0
    for i, ch in enumerate(text):
        if current is not None and unicodedata.category(ch) in _INHERITING_CATEGORIES:
            face = current
        else:
            code = ord(ch)
            # Nothing covers it: the primary font's .notdef box, like a browser's tofu.
            face = next((k for k, cover in enumerate(covers) if code in cover), 0)
        if face != current:
            if current is not None:
                runs.append((start, i, current))
            current, start = face, i
    if current is not None:
        runs.append((start, len(text), current))
    # Spaces before a font switch get their own run, so a right-to-left run does not carry
    # its trailing space to the far side when reversed (a stand-in until full bidi).
    split: list[tuple[int, int, int]] = []
    for k, (start, end, face) in enumerate(runs):
        cut = end
        while k + 1 < len(runs) and cut > start + 1 and text[cut - 1].isspace():
            cut -= 1
        if cut < end:
            space_face = next((i for i, cover in enumerate(covers) if ord(text[cut]) in cover), face)
            split.extend([(start, cut, face), (cut, end, space_face)])
        else:
            split.append((start, end, face))
    return split


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
    glyphs: list[ShapedGlyph] = []
    rtl_runs: list[bool] = []
    for run_index, (start, end, face) in enumerate(_itemize(text, chain)):
        spec = chain[face]
        buf = hb.Buffer()
        buf.add_str(text[start:end])
        buf.guess_segment_properties()
        hb.shape(fonts.hb_font(spec), buf, features)
        upem = fonts.units_per_em(spec)
        run_glyphs = [
            ShapedGlyph(
                start + info.cluster,
                info.codepoint,
                pos.x_advance / upem,
                pos.x_offset / upem,
                pos.y_offset / upem,
                face,
                run_index,
            )
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
        ]
        rtl = buf.direction == "rtl"
        if rtl:
            run_glyphs.reverse()  # HarfBuzz returns visual order; keep logical order for wrapping
        glyphs.extend(run_glyphs)
        rtl_runs.append(rtl)

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
    return ShapedParagraph(
        text=text,
        glyphs=tuple(glyphs),
        clusters=tuple(g.cluster for g in glyphs),
        rtl_runs=tuple(rtl_runs),
        advance_prefix=tuple(advance_prefix),
        cluster_prefix=tuple(cluster_prefix),
        cluster_starts=tuple(starts),
        breaks=tuple(_break_opportunities(text, is_start)),
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


def _line_glyphs_visual(par: ShapedParagraph, line: Line) -> list[ShapedGlyph]:
    glyphs = par.glyph_slice(line.start, line.end)
    # Back to visual order within each right-to-left run.
    out: list[ShapedGlyph] = []
    i = 0
    while i < len(glyphs):
        j = i
        while j < len(glyphs) and glyphs[j].run == glyphs[i].run:
            j += 1
        group = glyphs[i:j]
        out.extend(reversed(group) if par.rtl_runs[glyphs[i].run] else group)
        i = j
    return out


def layout_text(el: dict) -> TextLayout:
    """Lay out a text element's glyphs inside its box; warnings say when text was shrunk or cut."""
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
            extra = list(ellipsis.glyphs)
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
        glyphs = _line_glyphs_visual(par, Line(line.paragraph, line.start, end))
        for k, g in enumerate(glyphs):
            placed.append(PlacedGlyph(chain[g.face], g.gid, x + g.dx * size, baseline - g.dy * size, size))
            x += g.advance * size
            if k + 1 == len(glyphs) or glyphs[k + 1].cluster != g.cluster:
                x += spacing  # letter spacing goes after each cluster, not inside it
        for g in extra:
            placed.append(PlacedGlyph(chain[g.face], g.gid, x + g.dx * size, baseline - g.dy * size, size))
            x += g.advance * size
    return TextLayout(font_size=size, line_count=len(lines), glyphs=placed, warnings=warnings)


def layout_path_data(layout: TextLayout) -> str:
    """All glyph outlines of a layout as one SVG path's data (one node is cheapest for CairoSVG)."""
    return "".join(fonts.outline_path_data(g.face, g.gid, g.x, g.y, g.size) for g in layout.glyphs)
