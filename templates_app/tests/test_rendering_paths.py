"""The fast path reader draws what CairoSVG's own reader draws."""

import io

import pytest
from cairosvg.path import path as cairosvg_path
from cairosvg.surface import TAGS
from PIL import Image, ImageChops

from templates_app import rendering
from templates_app.elements import clean_template
from templates_app.rendering.paths import draw_path

CARD = clean_template(
    {
        "width": 400,
        "height": 200,
        "elements": [
            {
                "name": "t",
                "type": "text",
                "x": 10,
                "y": 10,
                "width": 380,
                "height": 120,
                "fit": "none",
                "text": "Quartz glyph AVg — fi",
                "font_family": "Playfair Display",
                "font_size": 40,
                "font_weight": 700,
            },
            {
                "name": "r",
                "type": "rect",
                "x": 20,
                "y": 140,
                "width": 120,
                "height": 50,
                "fill": "#3366ff",
                "stroke": "#000000",
                "stroke_width": 3,
                "border_radius": 12,
                "rotation": 15,
            },
        ],
    }
)


def render_with(reader) -> Image.Image:
    TAGS["path"] = reader
    try:
        return Image.open(io.BytesIO(rendering.render(CARD).content)).convert("RGB")
    finally:
        TAGS["path"] = draw_path


def test_the_fast_reader_matches_cairosvgs_reader():
    assert TAGS["path"] is draw_path, "rendering installs the fast reader"
    fast, reference = render_with(draw_path), render_with(cairosvg_path)
    difference = ImageChops.difference(fast, reference).convert("L")
    assert difference.getextrema()[1] <= 24, "only anti-aliasing may differ"
    assert sum(1 for value in difference.get_flattened_data() if value > 2) < 200


@pytest.mark.parametrize("data", ["M10 10 A 30 30 0 0 1 90 90 Z", "M10 10 H 90 V 90 Z", "M10,10 L90,10 L50,90 Z"])
def test_other_path_data_goes_to_cairosvgs_reader_and_still_draws(data):
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        f'<rect width="100" height="100" fill="#fff"/><path d="{data}" fill="#000"/></svg>'
    ).encode()
    from templates_app.rendering.raster import _rasterise

    image = _rasterise(svg, 100, 100).convert("L")
    assert sum(1 for value in image.get_flattened_data() if value < 128) > 500
