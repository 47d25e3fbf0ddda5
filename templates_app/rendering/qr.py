"""QR codes as vector paths built from segno's module matrix."""

from __future__ import annotations

import segno

QUIET_ZONE = 4  # modules, as the QR standard asks


def qr_geometry(value: str, x: float, y: float, width: float, height: float) -> tuple[str, float]:
    """SVG path data for the dark modules, square and centred in the box (quiet zone included).

    Returns (path data, module size in px); empty data when there is nothing to encode.
    """
    if not value:
        return "", 0.0
    matrix = segno.make(value, error="m", micro=False).matrix
    count = len(matrix) + 2 * QUIET_ZONE
    module = min(width, height) / count
    left = x + (width - module * count) / 2 + QUIET_ZONE * module
    top = y + (height - module * count) / 2 + QUIET_ZONE * module
    parts: list[str] = []
    for row_index, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            run_start = col
            while col < len(row) and row[col]:
                col += 1
            # One rectangle per horizontal run of dark modules; a single path means no seams.
            x0 = left + run_start * module
            y0 = top + row_index * module
            parts.append(
                f"M{x0:.3f} {y0:.3f}h{(col - run_start) * module:.3f}v{module:.3f}h{-(col - run_start) * module:.3f}z"
            )
    return "".join(parts), module
