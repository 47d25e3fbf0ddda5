"""Rendering shapes, images and QR codes, output formats, the watermark and the safety rules."""

from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from defusedxml import ElementTree as ET  # CairoSVG's own dependency; also refuses entities
from PIL import Image, ImageChops

from templates_app.rendering import (
    FORMATS,
    MAX_OUTPUT_PIXELS,
    ImageFetchError,
    OutputTooLarge,
    RenderError,
    RenderResult,
    build_svg,
    check_output_size,
    check_sources,
    render,
)
from templates_app.tests import ink

COMMON = {"rotation": 0, "opacity": 1, "hidden": False}


def rect(**overrides) -> dict:
    element = {
        "name": "box",
        "type": "rect",
        "x": 50,
        "y": 50,
        "width": 100,
        "height": 100,
        **COMMON,
    }
    element.update({"fill": "#ff0000", "stroke": None, "stroke_width": 0, "border_radius": 0})
    element.update(overrides)
    return element


def ellipse(**overrides) -> dict:
    element = {
        "name": "oval",
        "type": "ellipse",
        "x": 50,
        "y": 50,
        "width": 100,
        "height": 100,
        **COMMON,
    }
    element.update({"fill": "#0000ff", "stroke": None, "stroke_width": 0})
    element.update(overrides)
    return element


def image_element(src: str, **overrides) -> dict:
    element = {
        "name": "photo",
        "type": "image",
        "x": 50,
        "y": 50,
        "width": 100,
        "height": 100,
        **COMMON,
    }
    element.update({"src": src, "fit": "cover", "border_radius": 0})
    element.update(overrides)
    return element


def qr_element(**overrides) -> dict:
    element = {
        "name": "code",
        "type": "qr_code",
        "x": 20,
        "y": 20,
        "width": 160,
        "height": 160,
        **COMMON,
    }
    element.update(
        {
            "value": "https://imagior.example/p/42",
            "color": "#000000",
            "background_color": "#ffffff",
        }
    )
    element.update(overrides)
    return element


def text_element(**overrides) -> dict:
    """The text-rendering tests' full text element, placed for this file's canvas."""
    return ink.text_element(**{"x": 10, "y": 10, "width": 180, "height": 80, **overrides})


def document(
    *elements: dict,
    background: str | None = "#ffffff",
    width: int = 200,
    height: int = 200,
) -> dict:
    return {
        "width": width,
        "height": height,
        "background": background,
        "elements": list(elements),
    }


def pixels(doc: dict, **kwargs) -> Image.Image:
    result = render(doc, **kwargs)
    return Image.open(io.BytesIO(result.content)).convert("RGBA")


def close(actual: tuple, expected: tuple, tolerance: int = 3) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def data_uri(image: Image.Image, fmt: str = "PNG", **save_args) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def two_tone(width: int = 200, height: int = 100) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


# --- shapes ----------------------------------------------------------------------


def test_rect_is_filled_and_the_background_stays_outside() -> None:
    image = pixels(document(rect()))
    assert close(image.getpixel((100, 100)), (255, 0, 0, 255))
    assert close(image.getpixel((20, 20)), (255, 255, 255, 255))
    assert close(image.getpixel((160, 100)), (255, 255, 255, 255))


def test_rounded_corner_shows_the_background() -> None:
    image = pixels(document(rect(border_radius=30)))
    assert close(image.getpixel((51, 51)), (255, 255, 255, 255))
    assert close(image.getpixel((100, 52)), (255, 0, 0, 255))


def test_stroke_is_drawn_at_the_edge_inside_the_box() -> None:
    image = pixels(document(rect(stroke="#00ff00", stroke_width=10)))
    assert close(image.getpixel((52, 100)), (0, 255, 0, 255))
    assert close(image.getpixel((147, 100)), (0, 255, 0, 255))
    assert close(image.getpixel((100, 100)), (255, 0, 0, 255))
    assert close(image.getpixel((48, 100)), (255, 255, 255, 255))


def test_ellipse_fills_its_centre_but_not_the_box_corners() -> None:
    image = pixels(document(ellipse(stroke="#000000", stroke_width=4)))
    assert close(image.getpixel((100, 100)), (0, 0, 255, 255))
    assert close(image.getpixel((53, 53)), (255, 255, 255, 255))
    assert close(image.getpixel((51, 100)), (0, 0, 0, 255))


def test_rotation_turns_a_tall_rect_wide() -> None:
    tall = rect(x=90, y=40, width=20, height=120)
    upright = pixels(document(tall))
    turned = pixels(document({**tall, "rotation": 90}))
    assert close(upright.getpixel((100, 50)), (255, 0, 0, 255))
    assert close(upright.getpixel((150, 100)), (255, 255, 255, 255))
    assert close(turned.getpixel((150, 100)), (255, 0, 0, 255))
    assert close(turned.getpixel((100, 50)), (255, 255, 255, 255))


def test_opacity_blends_with_what_is_below() -> None:
    image = pixels(document(rect(fill="#ffffff", opacity=0.5), background="#000000"))
    red, green, blue, _ = image.getpixel((100, 100))
    assert all(abs(channel - 128) <= 2 for channel in (red, green, blue))


def test_eight_digit_colours_carry_alpha() -> None:
    image = pixels(document(rect(fill="#ff000080")))
    assert close(image.getpixel((100, 100)), (255, 127, 127, 255), 2)


def test_hidden_elements_draw_nothing() -> None:
    image = pixels(document(rect(hidden=True)))
    assert close(image.getpixel((100, 100)), (255, 255, 255, 255))


def test_transparent_background_has_zero_alpha() -> None:
    image = pixels(document(rect(), background=None))
    assert image.getpixel((10, 10))[3] == 0
    assert image.getpixel((100, 100)) == (255, 0, 0, 255)


def test_elements_are_drawn_in_list_order() -> None:
    image = pixels(document(rect(fill="#ff0000"), rect(name="top", fill="#00ff00", x=100)))
    assert close(image.getpixel((120, 100)), (0, 255, 0, 255))
    assert close(image.getpixel((70, 100)), (255, 0, 0, 255))


def test_unknown_extra_keys_are_ignored() -> None:
    image = pixels({**document(rect(shadow="big", blur=3)), "version": 7})
    assert close(image.getpixel((100, 100)), (255, 0, 0, 255))


# --- images ------------------------------------------------------------------------


def test_image_cover_fills_the_box_cropping_the_sides() -> None:
    image = pixels(document(image_element(data_uri(two_tone()), fit="cover")))
    # A 2:1 picture in a square box: the centre half survives, the box is full.
    assert close(image.getpixel((52, 52)), (255, 0, 0, 255), 6)
    assert close(image.getpixel((148, 148)), (0, 0, 255, 255), 6)
    assert close(image.getpixel((30, 100)), (255, 255, 255, 255))


def test_image_contain_letterboxes_with_the_background() -> None:
    image = pixels(document(image_element(data_uri(two_tone()), fit="contain"), background=None))
    assert image.getpixel((100, 55))[3] == 0  # band above the picture is transparent
    assert image.getpixel((100, 145))[3] == 0
    assert close(image.getpixel((55, 100)), (255, 0, 0, 255), 6)
    assert close(image.getpixel((145, 100)), (0, 0, 255, 255), 6)


def test_image_fill_stretches_the_picture() -> None:
    image = pixels(document(image_element(data_uri(two_tone(20, 80)), fit="fill")))
    assert close(image.getpixel((55, 60)), (255, 0, 0, 255), 6)
    assert close(image.getpixel((145, 140)), (0, 0, 255, 255), 6)


def test_jpeg_and_webp_sources_decode() -> None:
    for fmt in ("JPEG", "WEBP"):
        image = pixels(document(image_element(data_uri(Image.new("RGB", (40, 40), (0, 200, 0)), fmt, quality=95))))
        assert close(image.getpixel((100, 100)), (0, 200, 0, 255), 8)


def test_exif_orientation_is_applied() -> None:
    source = two_tone(80, 40)  # red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display turned 90° clockwise → red on top
    image = pixels(document(image_element(data_uri(source, "JPEG", exif=exif, quality=95), fit="fill")))
    assert close(image.getpixel((100, 60)), (255, 0, 0, 255), 12)
    assert close(image.getpixel((100, 140)), (0, 0, 255, 255), 12)


def test_image_border_radius_clips_the_corners() -> None:
    image = pixels(document(image_element(data_uri(Image.new("RGB", (10, 10), (255, 0, 0))), border_radius=40)))
    assert close(image.getpixel((51, 51)), (255, 255, 255, 255))
    assert close(image.getpixel((100, 100)), (255, 0, 0, 255))


def test_images_are_embedded_at_output_resolution() -> None:
    svg, _ = build_svg(document(image_element(data_uri(two_tone()))), scale=2)
    href = ET.fromstring(svg).find(".//{http://www.w3.org/2000/svg}image").get("href")
    embedded = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert embedded.size == (200, 200)


def test_a_remote_src_is_refused_naming_the_element() -> None:
    with pytest.raises(ImageFetchError) as caught:
        check_sources([image_element("https://example.com/a.png")])
    assert caught.value.code == "image_fetch_failed"
    assert caught.value.element == "photo"
    with pytest.raises(ImageFetchError):
        render(document(image_element("file:///etc/passwd")))


@pytest.mark.parametrize(
    "src",
    [
        "data:image/png;base64,not-base64!!",
        "data:image/png;base64," + base64.b64encode(b"definitely not a png").decode(),
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(),
        "data:image/png;base64," + base64.b64encode(b"\x1f\x8b\x08\x00rest").decode(),
        "data:text/html,<b>hi</b>",
    ],
)
def test_undecodable_or_unsafe_data_uris_are_refused(src: str) -> None:
    with pytest.raises(ImageFetchError) as caught:
        check_sources([image_element(src)])
    assert caught.value.element == "photo"


def test_hidden_or_empty_images_are_not_checked() -> None:
    check_sources([image_element("https://example.com/a.png", hidden=True), image_element("")])
    check_sources([rect(), image_element(data_uri(two_tone()))])


# --- QR codes ----------------------------------------------------------------------


def test_qr_code_decodes_to_its_value() -> None:
    image = pixels(document(qr_element()))
    found = zxingcpp.read_barcodes(image.convert("RGB"))
    assert [code.text for code in found] == ["https://imagior.example/p/42"]


def test_qr_code_is_square_and_centred_in_a_wide_box() -> None:
    image = pixels(document(qr_element(x=0, y=50, width=200, height=100, background_color="#ffff00")))
    assert close(image.getpixel((5, 100)), (255, 255, 0, 255))  # box filled with the background colour
    dark = image.convert("L").point(lambda v: 255 if v < 60 else 0).getbbox()
    left, top, right, bottom = dark
    assert abs((left + right) / 2 - 100) <= 2 and abs((top + bottom) / 2 - 100) <= 2
    assert abs((right - left) - (bottom - top)) <= 1
    assert zxingcpp.read_barcodes(image.convert("RGB"))[0].text == "https://imagior.example/p/42"


# --- formats and sizes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "magic"),
    [
        ("png", b"\x89PNG"),
        ("jpeg", b"\xff\xd8\xff"),
        ("webp", b"WEBP"),
        ("pdf", b"%PDF"),
    ],
)
def test_every_format_has_its_magic_bytes(fmt: str, magic: bytes) -> None:
    result = render(document(rect(), text_element()), fmt=fmt)
    assert isinstance(result, RenderResult)
    assert result.content_type == FORMATS[fmt]
    if fmt == "webp":
        assert result.content[:4] == b"RIFF" and result.content[8:12] == magic
    else:
        assert result.content.startswith(magic)
    assert (result.width, result.height) == (200, 200)


def test_jpeg_flattens_transparency_onto_white() -> None:
    result = render(document(rect(), background=None), fmt="jpeg")
    image = Image.open(io.BytesIO(result.content)).convert("RGB")
    assert close(image.getpixel((10, 10)), (255, 255, 255), 4)
    assert close(image.getpixel((100, 100)), (255, 0, 0), 6)


def test_scale_multiplies_the_pixel_size() -> None:
    result = render(document(rect(), width=300, height=150), scale=2)
    assert (result.width, result.height) == (600, 300)
    image = Image.open(io.BytesIO(result.content))
    assert image.size == (600, 300)
    assert close(image.convert("RGBA").getpixel((200, 200)), (255, 0, 0, 255))
    small = render(document(rect(), width=300, height=150), scale=0.5)
    assert Image.open(io.BytesIO(small.content)).size == (150, 75)


def test_lower_quality_gives_a_smaller_jpeg() -> None:
    photo = Image.effect_noise((200, 200), 60).convert("RGB")
    doc = document(image_element(data_uri(photo), x=0, y=0, width=200, height=200), text_element())
    assert len(render(doc, fmt="jpeg", quality=30).content) < len(render(doc, fmt="jpeg", quality=95).content)
    assert len(render(doc, fmt="webp", quality=30).content) < len(render(doc, fmt="webp", quality=95).content)


def test_output_over_16_megapixels_is_refused() -> None:
    check_output_size(4000, 4000, 1)  # exactly 16 Mpx is allowed
    with pytest.raises(OutputTooLarge) as caught:
        check_output_size(4000, 4000, 1.01)
    assert caught.value.code == "output_too_large"
    assert MAX_OUTPUT_PIXELS == 16_000_000
    with pytest.raises(OutputTooLarge):
        render(document(rect(), width=4000, height=2000), scale=2)


def test_unknown_format_is_a_render_error() -> None:
    with pytest.raises(RenderError):
        render(document(rect()), fmt="gif")


def test_internal_failures_become_render_failed_without_library_text() -> None:
    with pytest.raises(RenderError) as caught:
        render(document(rect(fill="not-a-colour")))
    assert caught.value.code == "render_failed"
    assert "Traceback" not in caught.value.message


# --- watermark and safety ------------------------------------------------------------


def test_sandbox_watermark_changes_pixels_and_is_labelled() -> None:
    doc = document(rect(), width=400, height=200)
    plain = pixels(doc)
    marked = pixels(doc, watermark=True)
    changed = ImageChops.difference(plain, marked).convert("L").point(lambda v: 255 if v else 0).histogram()[255]
    assert changed > 400 * 200 * 0.05
    svg, _ = build_svg(doc, watermark=True)
    assert b'aria-label="SANDBOX"' in svg
    assert b"SANDBOX" not in build_svg(doc)[0]


def test_markup_in_text_is_escaped_and_still_rendered() -> None:
    hostile = '</svg><script>alert(1)</script> & <b>"bold"</b>\x00'
    doc = document(text_element(text=hostile, font_size=12))
    svg, _ = build_svg(doc)
    root = ET.fromstring(svg)  # still one well-formed SVG document
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}script") and b"<script" not in svg
    assert any(el.get("aria-label", "").startswith("</svg><script>") for el in root.iter())
    image = pixels(doc)
    dark = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    assert dark.getbbox() is not None


def test_the_svg_references_nothing_but_embedded_data() -> None:
    doc = document(
        rect(),
        ellipse(),
        image_element(data_uri(two_tone()), border_radius=10),
        qr_element(),
        text_element(text="http://evil.example file:///etc/passwd"),
    )
    svg, _ = build_svg(doc, watermark=True)
    root = ET.fromstring(svg)
    hrefs = [value for el in root.iter() for key, value in el.attrib.items() if key.endswith("href")]
    assert hrefs and all(h.startswith("data:image/png;base64,") for h in hrefs)
    # The only http is the namespace; user text sits in an escaped label, never in an href.
    assert svg.count(b"http") == svg.count(b"http://www.w3.org/2000/svg") + 1
    assert b"<text" not in svg and b"xlink" not in svg
