"""Pure render pipeline: plain document dicts in, image bytes out (no Django, no I/O but fonts)."""

from .errors import ImageFetchError, OutputTooLarge, RenderError
from .fonts import inspect_font
from .images import check_sources
from .raster import FORMATS, MAX_OUTPUT_PIXELS, RenderResult, check_output_size, render
from .svg import build_svg

__all__ = [
    "FORMATS",
    "MAX_OUTPUT_PIXELS",
    "ImageFetchError",
    "OutputTooLarge",
    "RenderError",
    "RenderResult",
    "build_svg",
    "check_output_size",
    "check_sources",
    "inspect_font",
    "render",
]
