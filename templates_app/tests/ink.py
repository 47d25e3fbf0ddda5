"""Helpers for the text-rendering tests: a full text element, drawing it, and where its ink lands."""

from __future__ import annotations

import io

from PIL import Image

from templates_app.rendering import render

WIDTH, HEIGHT = 400, 200
BOX = (50, 40, 300, 120)  # x, y, w, h of the text element in most tests


def text_element(**overrides) -> dict:
    """A text element with every field filled, as the services layer hands it over."""
    x, y, w, h = BOX
    element = {
        "name": "title",
        "type": "text",
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "rotation": 0,
        "opacity": 1,
        "hidden": False,
        "text": "Hello",
        "font_family": "Inter",
        "font_size": 32,
        "font_weight": 400,
        "italic": False,
        "color": "#000000",
        "align": "left",
        "vertical_align": "top",
        "line_height": 1.2,
        "letter_spacing": 0,
        "text_transform": "none",
        "fit": "shrink",
        "min_font_size": 8,
        "max_lines": None,
        "background_color": None,
    }
    element.update(overrides)
    return element


def draw(*elements: dict) -> tuple[Image.Image, list[dict]]:
    result = render(
        {
            "width": WIDTH,
            "height": HEIGHT,
            "background": "#ffffff",
            "elements": list(elements),
        }
    )
    return Image.open(io.BytesIO(result.content)).convert("RGB"), result.warnings


def ink_mask(image: Image.Image) -> Image.Image:
    """White where a pixel is dark (text ink on a white page)."""
    return image.convert("L").point(lambda v: 255 if v < 160 else 0)


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ink_mask(image).getbbox()


def ink_count(image: Image.Image) -> int:
    return ink_mask(image).histogram()[255]


def assert_inside_box(image: Image.Image, box: tuple[float, float, float, float] = BOX) -> None:
    x, y, w, h = box
    left, top, right, bottom = ink_box(image)
    assert left >= x and top >= y and right <= x + w and bottom <= y + h, (
        left,
        top,
        right,
        bottom,
    )
