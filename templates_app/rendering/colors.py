"""Parse the API's colour strings into an SVG colour plus a separate opacity."""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import RenderError

_HEX = re.compile(r"#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


class Color(NamedTuple):
    hex: str  # "#rrggbb", which every SVG renderer understands
    alpha: float  # 0–1; goes into fill-opacity/stroke-opacity, never into the hex


def parse_color(value: str | None) -> Color | None:
    """`#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa` → Color; None stays None (nothing drawn)."""
    if value is None:
        return None
    match = _HEX.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise RenderError(f"Invalid colour {value!r}.")
    digits = match.group(1).lower()
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits)
    alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
    return Color("#" + digits[:6], alpha)


def paint_attrs(color: Color | None, kind: str = "fill") -> dict[str, str]:
    """SVG attributes painting with `color` (`kind` is "fill" or "stroke"); none → "none"."""
    if color is None or color.alpha <= 0:
        return {kind: "none"}
    attrs = {kind: color.hex}
    if color.alpha < 1:
        attrs[f"{kind}-opacity"] = f"{color.alpha:.4g}"
    return attrs
