"""A fast reader for the SVG path data this pipeline writes (glyph outlines, shapes).

CairoSVG parses path data in Python number by number; for a card of text that
was about half of the rasterise time (measured with bench/bench_render.py --profile). Our paths only use
M/L/Q/C/Z with plain numbers, so this reader tokenises them with one regular
expression and calls cairo directly. Anything else — other commands, markers —
goes to CairoSVG's own reader, so behaviour for any input stays CairoSVG's.
"""

from __future__ import annotations

import re
from collections import deque

from cairosvg.path import path as cairosvg_path

_TOKEN = re.compile(r"[MmLlQqCcZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OURS = re.compile(r"[MmLlQqCcZz0-9.eE+\-\s]*")
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")


def draw_path(surface, node) -> None:
    """CairoSVG's `path` tag handler, faster for M/L/Q/C/Z data without markers."""
    data = node.get("d", "")
    if not _OURS.fullmatch(data) or any(node.get(name) for name in _MARKERS):
        cairosvg_path(surface, node)
        return
    node.vertices = deque()  # CairoSVG reads it for markers; ours have none
    context = surface.context
    move_to, line_to, curve_to, close = context.move_to, context.line_to, context.curve_to, context.close_path
    tokens = _TOKEN.findall(data)
    x = y = start_x = start_y = 0.0
    command, i, count = "M", 0, len(tokens)
    try:
        while i < count:
            if tokens[i].isalpha():
                command, i = tokens[i], i + 1
                if command in "zZ":
                    close()
                    x, y = start_x, start_y
                    continue
            if command in "Mm":
                dx, dy = float(tokens[i]), float(tokens[i + 1])
                x, y = (x + dx, y + dy) if command == "m" else (dx, dy)
                move_to(x, y)
                start_x, start_y = x, y
                command = "l" if command == "m" else "L"  # numbers after a moveto are linetos
                i += 2
            elif command in "Ll":
                dx, dy = float(tokens[i]), float(tokens[i + 1])
                x, y = (x + dx, y + dy) if command == "l" else (dx, dy)
                line_to(x, y)
                i += 2
            elif command in "Qq":
                qx, qy, ex, ey = (float(v) for v in tokens[i : i + 4])
                if command == "q":
                    qx, qy, ex, ey = qx + x, qy + y, ex + x, ey + y
                # cairo draws cubics only: this is the exact cubic of the quadratic.
                curve_to(
                    x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y), ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey), ex, ey
                )
                x, y = ex, ey
                i += 4
            else:  # Cc
                values = [float(v) for v in tokens[i : i + 6]]
                if command == "c":
                    values = [v + (x if k % 2 == 0 else y) for k, v in enumerate(values)]
                curve_to(*values)
                x, y = values[4], values[5]
                i += 6
    except (IndexError, ValueError):
        return  # like CairoSVG: a malformed tail is dropped
