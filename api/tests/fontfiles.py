"""Tiny real fonts made with fontTools for upload tests."""

import io

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen


def square_font(family: str = "Acme Sans", weight: int = 700, flavor: str | None = None) -> bytes:
    """A TrueType font whose 'A' is a solid 600×700 block: unmistakable in pixels."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "A", "space"])
    builder.setupCharacterMap({ord("A"): "A", ord(" "): "space"})
    pen = TTGlyphPen(None)
    pen.moveTo((50, 0))
    pen.lineTo((50, 700))
    pen.lineTo((650, 700))
    pen.lineTo((650, 0))
    pen.closePath()
    block = pen.glyph()
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "A": block, "space": TTGlyphPen(None).glyph()})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "A": (700, 50), "space": (300, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Bold" if weight >= 700 else "Regular"})
    builder.setupOS2(usWeightClass=weight, sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    if flavor:
        builder.font.flavor = flavor
    buffer = io.BytesIO()
    builder.save(buffer)
    return buffer.getvalue()
