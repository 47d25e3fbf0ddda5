"""Rasterise the SVG with CairoSVG and encode with Pillow: the only module that imports cairosvg."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

import cairosvg
from cairosvg.parser import Tree
from cairosvg.surface import TAGS, PDFSurface, PNGSurface
from PIL import Image

from .errors import OutputTooLarge, RenderError
from .paths import draw_path
from .svg import build_svg

FORMATS = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
MAX_OUTPUT_PIXELS = 16_000_000

# Our glyph outlines are most of the path data CairoSVG reads: read them fast
# (rendering/paths.py falls back to CairoSVG's reader for anything else).
TAGS["path"] = draw_path


@dataclass(frozen=True)
class RenderResult:
    content: bytes
    content_type: str
    width: int  # output pixels (PDF: the same numbers, as px at this scale)
    height: int
    warnings: list[dict] = field(default_factory=list)


def output_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """Pixel size of the output for a template size and scale (never below 1×1)."""
    return max(1, round(width * scale)), max(1, round(height * scale))


def check_output_size(width: int, height: int, scale: float) -> None:
    """Raise OutputTooLarge when the output would exceed 16 Mpx; call it before charging."""
    out_w, out_h = output_size(width, height, scale)
    if out_w * out_h > MAX_OUTPUT_PIXELS:
        raise OutputTooLarge(
            f"The output would be {out_w}×{out_h} px ({out_w * out_h / 1e6:.1f} Mpx); the limit is 16 Mpx."
        )


def _refuse_external(url: str, resource_type: str) -> bytes:
    # Our SVG only ever references data: URIs it built itself; anything else is refused,
    # including the file:// URLs CairoSVG derives from relative hrefs.
    if url.startswith("data:image/png;base64,"):
        return cairosvg.url.fetch(url, resource_type)
    raise RenderError("The image referenced an external resource.")


def _rasterise(svg: bytes, width: int, height: int) -> Image.Image:
    """Draw the SVG onto a cairo image surface and hand the pixels to Pillow (no PNG round trip)."""
    tree = Tree(bytestring=svg, url_fetcher=_refuse_external)
    surface = PNGSurface(tree, None, 96, output_width=width, output_height=height)
    surface.cairo.flush()
    data = bytes(surface.cairo.get_data())
    stride = surface.cairo.get_stride()
    # cairo ARGB32 is premultiplied, native-endian: BGRA bytes on little-endian machines.
    raw_mode = "BGRa" if memoryview(b"\x01\x00").cast("H")[0] == 1 else "aRGB"
    return Image.frombuffer("RGBA", (surface.width, surface.height), data, "raw", raw_mode, stride, 1)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    opaque = image.getchannel("A").getextrema()[0] == 255
    if fmt == "png":
        # Level 1 is ~2× faster than the default for a modest size cost (docs/rendering.md, "Encode");
        # run-length coding after PNG's row filters is as fast and ~10% smaller on photos.
        (image.convert("RGB") if opaque else image).save(
            buffer, format="PNG", compress_level=1, compress_type=zlib.Z_RLE
        )
    elif fmt == "jpeg":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        # Full-resolution chroma keeps coloured text crisp at the qualities people pick for cards.
        flat.save(
            buffer,
            format="JPEG",
            quality=quality,
            subsampling=0 if quality >= 90 else 2,
        )
    elif fmt == "webp":
        (image.convert("RGB") if opaque else image).save(buffer, format="WEBP", quality=quality, method=2)
    return buffer.getvalue()


def render(
    document: dict,
    *,
    fmt: str = "png",
    scale: float = 1.0,
    quality: int = 90,
    watermark: bool = False,
) -> RenderResult:
    """Render a validated document to PNG, JPEG, WebP or PDF bytes at `scale`."""
    if fmt not in FORMATS:
        raise RenderError(f"Unsupported format {fmt!r}.", code="invalid_format")
    check_output_size(document["width"], document["height"], scale)
    # Image sources are not verified again here: the caller ran check_sources
    # before charging, and decoding each picture raises ImageFetchError anyway.
    width, height = output_size(document["width"], document["height"], scale)
    quality = max(1, min(100, int(quality)))
    try:
        svg, warnings = build_svg(document, scale=scale, watermark=watermark)
        if fmt == "pdf":
            # PDFSurface.convert rather than svg2pdf: only it passes url_fetcher through.
            content = PDFSurface.convert(
                bytestring=svg,
                url_fetcher=_refuse_external,
                output_width=width,
                output_height=height,
            )
        else:
            content = _encode(_rasterise(svg, width, height), fmt, quality)
    except RenderError:
        raise
    except Exception as exc:
        # No library text in the message: it reaches API clients.
        raise RenderError("The image could not be rendered.") from exc
    return RenderResult(content, FORMATS[fmt], width, height, warnings)
