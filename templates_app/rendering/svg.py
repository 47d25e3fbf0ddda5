"""Build the SVG for a document with ElementTree: every value is escaped by construction.

User text never reaches the SVG as text: glyphs become path data (numbers) and the
original string only appears in an `aria-label`, which ElementTree escapes.
The only hrefs are `data:image/png` URIs of pictures this module encoded itself.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import segno

from . import fonts, images, qr, text
from .colors import paint_attrs, parse_color
from .errors import RenderError

SVG_NS = "http://www.w3.org/2000/svg"
WATERMARK_TEXT = "SANDBOX"
# XML 1.0 forbids most control characters even when escaped; strip them from attributes.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _num(value: float) -> str:
    """Compact, locale-free number for SVG attributes."""
    text_value = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text_value in ("-0", "") else text_value


def _box(el: dict) -> tuple[float, float, float, float]:
    return (
        float(el["x"]),
        float(el["y"]),
        max(0.0, float(el["width"])),
        max(0.0, float(el["height"])),
    )


class _Builder:
    def __init__(self, document: dict, scale: float, watermark: bool) -> None:
        self.width = float(document["width"])
        self.height = float(document["height"])
        self.scale = scale
        self.document_images = document.get("images") or {}  # {http(s) src: bytes} fetched by the caller
        self.watermark = watermark
        # Fonts this document's account uploaded: passed to each layout, never registered globally.
        self.account_fonts = fonts.account_fonts(document.get("fonts"))
        self.warnings: list[dict] = []
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "version": "1.1",
                "width": _num(self.width * scale),
                "height": _num(self.height * scale),
                "viewBox": f"0 0 {_num(self.width)} {_num(self.height)}",
            },
        )
        self.defs = ET.SubElement(self.root, "defs")
        self.clip_count = 0

    def clip(self, x: float, y: float, w: float, h: float, radius: float = 0.0) -> str:
        """A clipPath for a (rounded) box; ids are counters, never user names."""
        self.clip_count += 1
        clip_id = f"clip{self.clip_count}"
        node = ET.SubElement(self.defs, "clipPath", {"id": clip_id})
        ET.SubElement(node, "rect", self._rect_attrs(x, y, w, h, radius))
        return f"url(#{clip_id})"

    @staticmethod
    def _rect_attrs(x: float, y: float, w: float, h: float, radius: float) -> dict[str, str]:
        attrs = {"x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h)}
        radius = max(0.0, min(radius, w / 2, h / 2))
        if radius > 0:
            attrs["rx"] = attrs["ry"] = _num(radius)
        return attrs

    def element_group(self, el: dict) -> ET.Element:
        """The group an element draws into: rotation about its centre and opacity."""
        x, y, w, h = _box(el)
        attrs: dict[str, str] = {}
        rotation = float(el.get("rotation") or 0) % 360
        if rotation:
            attrs["transform"] = f"rotate({_num(rotation)} {_num(x + w / 2)} {_num(y + h / 2)})"
        opacity = max(0.0, min(1.0, float(el.get("opacity", 1))))
        if opacity < 1:
            attrs["opacity"] = _num(opacity)
        return ET.SubElement(self.root, "g", attrs)

    def background(self, color: str | None) -> None:
        paint = parse_color(color)
        if paint is not None:
            ET.SubElement(
                self.root,
                "rect",
                {
                    "x": "0",
                    "y": "0",
                    "width": _num(self.width),
                    "height": _num(self.height),
                    **paint_attrs(paint),
                },
            )

    # --- element types -------------------------------------------------------

    def draw_rect(self, el: dict, group: ET.Element) -> None:
        x, y, w, h = _box(el)
        stroke = parse_color(el.get("stroke"))
        stroke_width = max(0.0, float(el.get("stroke_width") or 0)) if stroke else 0.0
        stroke_width = min(stroke_width, w / 2, h / 2)
        # Strokes sit inside the box (like CSS borders), so nothing is drawn outside it.
        inset = stroke_width / 2
        attrs = self._rect_attrs(
            x + inset,
            y + inset,
            w - 2 * inset,
            h - 2 * inset,
            float(el.get("border_radius") or 0) - inset,
        )
        attrs.update(paint_attrs(parse_color(el.get("fill"))))
        if stroke_width > 0:
            attrs.update(paint_attrs(stroke, "stroke"))
            attrs["stroke-width"] = _num(stroke_width)
        ET.SubElement(group, "rect", attrs)

    def draw_ellipse(self, el: dict, group: ET.Element) -> None:
        x, y, w, h = _box(el)
        stroke = parse_color(el.get("stroke"))
        stroke_width = max(0.0, float(el.get("stroke_width") or 0)) if stroke else 0.0
        stroke_width = min(stroke_width, w / 2, h / 2)
        inset = stroke_width / 2
        attrs = {
            "cx": _num(x + w / 2),
            "cy": _num(y + h / 2),
            "rx": _num(max(0.0, w / 2 - inset)),
            "ry": _num(max(0.0, h / 2 - inset)),
            **paint_attrs(parse_color(el.get("fill"))),
        }
        if stroke_width > 0:
            attrs.update(paint_attrs(stroke, "stroke"))
            attrs["stroke-width"] = _num(stroke_width)
        ET.SubElement(group, "ellipse", attrs)

    def fill_box(self, group: ET.Element, x: float, y: float, w: float, h: float, color: str | None) -> None:
        """Paint the element's box behind its content (text and QR backgrounds)."""
        background = parse_color(color)
        if background is not None:
            ET.SubElement(group, "rect", {**self._rect_attrs(x, y, w, h, 0), **paint_attrs(background)})

    def draw_text(self, el: dict, group: ET.Element) -> None:
        x, y, w, h = _box(el)
        self.fill_box(group, x, y, w, h, el.get("background_color"))
        layout = text.layout_text(el, self.account_fonts)
        self.warnings.extend(layout.warnings)
        if not layout.glyphs:
            return
        label = _XML_INVALID.sub("", str(el.get("text") or ""))[:1000]
        # Clip to the box as a last guard: side bearings and tall glyphs may reach past it.
        holder = ET.SubElement(group, "g", {"clip-path": self.clip(x, y, w, h), "aria-label": label})
        ET.SubElement(
            holder,
            "path",
            {
                "d": text.layout_path_data(layout),
                **paint_attrs(parse_color(el.get("color") or "#000000")),
            },
        )

    def draw_image(self, el: dict, group: ET.Element) -> None:
        x, y, w, h = _box(el)
        if not el.get("src"):
            return  # an empty placeholder draws nothing
        href = images.image_data_uri(el, self.scale, self.document_images)
        attrs = {
            "x": _num(x),
            "y": _num(y),
            "width": _num(w),
            "height": _num(h),
            "preserveAspectRatio": "none",
            "href": href,
        }
        radius = float(el.get("border_radius") or 0)
        parent = group
        if radius > 0:
            parent = ET.SubElement(group, "g", {"clip-path": self.clip(x, y, w, h, radius)})
        ET.SubElement(parent, "image", attrs)

    def draw_qr_code(self, el: dict, group: ET.Element) -> None:
        x, y, w, h = _box(el)
        self.fill_box(group, x, y, w, h, el.get("background_color"))
        try:
            data, _ = qr.qr_geometry(str(el.get("value") or ""), x, y, w, h)
        except segno.DataOverflowError:
            raise RenderError(
                f"The value of QR code '{el.get('name')}' is too long to encode.",
                element=el.get("name"),
            ) from None
        if data:
            ET.SubElement(
                group,
                "path",
                {"d": data, **paint_attrs(parse_color(el.get("color") or "#000000"))},
            )

    # --- sandbox mark ------------------------------------------------------------

    def draw_watermark(self) -> None:
        """'SANDBOX' repeated diagonally and semi-transparent across the whole image."""
        size = max(14.0, min(self.width, self.height) / 7)
        spec = fonts.resolve_face(fonts.DEFAULT_FAMILY, 800, False)
        par = text.shape_paragraph(WATERMARK_TEXT, (spec,))
        word = par.width(0, len(WATERMARK_TEXT), size, 0)
        step_x, step_y = word + size * 1.5, size * 2.6
        diagonal = math.hypot(self.width, self.height)
        cx, cy = self.width / 2, self.height / 2
        paths: list[str] = []
        rows = int(diagonal / step_y) + 2
        cols = int(diagonal / step_x) + 2
        for row in range(-rows // 2, rows // 2 + 1):
            offset = (row % 2) * step_x / 2  # stagger rows like a brick wall
            for col in range(-cols // 2, cols // 2 + 1):
                pen_x = cx + col * step_x + offset - word / 2
                baseline = cy + row * step_y + size / 3
                for g in par.glyphs:
                    paths.append(
                        fonts.outline_path_data(
                            spec,
                            g.gid,
                            pen_x + g.dx * size,
                            baseline - g.dy * size,
                            size,
                        )
                    )
                    pen_x += g.advance * size
        mark = ET.SubElement(
            self.root,
            "g",
            {
                "id": "sandbox-watermark",
                "aria-label": WATERMARK_TEXT,
                "opacity": "0.4",
                "transform": f"rotate(-30 {_num(cx)} {_num(cy)})",
            },
        )
        data = "".join(paths)
        # A dark shadow under a light fill reads on any background. No stroke: variable-font
        # outlines overlap, and a stroke would trace the overlaps.
        shadow = _num(max(1.0, size / 20))
        ET.SubElement(
            mark,
            "path",
            {
                "d": data,
                "fill": "#000000",
                "transform": f"translate({shadow} {shadow})",
            },
        )
        ET.SubElement(mark, "path", {"d": data, "fill": "#c8c8c8"})

    def build(self, document: dict) -> bytes:
        self.background(document.get("background"))
        drawers = {
            "text": self.draw_text,
            "rect": self.draw_rect,
            "ellipse": self.draw_ellipse,
            "image": self.draw_image,
            "qr_code": self.draw_qr_code,
        }
        for el in document.get("elements") or []:
            drawer = drawers.get(el.get("type"))
            if drawer is None or el.get("hidden"):
                continue
            _, _, w, h = _box(el)
            if w <= 0 or h <= 0 or float(el.get("opacity", 1)) <= 0:
                continue
            drawer(el, self.element_group(el))
        if self.watermark:
            self.draw_watermark()
        return ET.tostring(self.root, encoding="utf-8", xml_declaration=True)


def build_svg(document: dict, *, scale: float = 1.0, watermark: bool = False) -> tuple[bytes, list[dict]]:
    """The document as SVG bytes (viewBox in template px, size at `scale`) plus layout warnings."""
    builder = _Builder(document, scale, watermark)
    return builder.build(document), builder.warnings
