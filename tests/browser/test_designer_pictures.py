"""What the designer's canvas shows for QR codes and pictures, in real Chromium (issue 17):
the real QR code (read back with zxing-cpp) and remote pictures fetched through the server.
conftest.py fails a test on any console error or CSP violation."""

import io

import pytest
import zxingcpp
from PIL import Image as PILImage
from playwright.sync_api import expect

from conftest import make_user
from templates_app import services
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 600, 300


def open_designer(page, site, *elements):
    user = make_user("ada@example.com")
    template = services.create_template(
        owner=user,
        data={"name": "Card", "width": WIDTH, "height": HEIGHT, "background": "#ffffff", "elements": list(elements)},
    )
    log_in(page, site, "ada@example.com")
    page.goto(f"{site}/dashboard/templates/{template.public_id}/edit")
    expect(page.locator("[data-designer].is-ready")).to_have_count(1)
    return template


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(PILImage.open(io.BytesIO(png)).convert("RGB"))]


def test_the_canvas_draws_the_real_qr_code_of_the_value_in_its_colours(page, site):
    value = "https://imagior.test/p/42?ref=café"
    open_designer(
        page,
        site,
        {
            "name": "code",
            "type": "qr_code",
            "x": 40,
            "y": 20,
            "width": 240,
            "height": 260,
            "value": value,
            "color": "#1e3a8a",
            "background_color": "#fef3c7",
        },
    )
    node = page.locator(".el-qr_code")
    assert decode(node.screenshot()) == [value]
    # Its colours: the background fills the box, the modules are the element's colour.
    picture = PILImage.open(io.BytesIO(node.screenshot())).convert("RGB")
    colours = {colour for _, colour in picture.getcolors(picture.width * picture.height)}
    assert (0xFE, 0xF3, 0xC7) in colours and (0x1E, 0x3A, 0x8A) in colours

    # A new value from the properties panel redraws the code.
    node.click()
    page.get_by_label("Encoded text", exact=True).fill("12345678901234567890")
    expect(page.locator("[data-designer].is-ready")).to_have_count(1)
    page.wait_for_timeout(100)
    assert decode(node.screenshot()) == ["12345678901234567890"]

    # Empty: no code (the renderer leaves the element out), a note instead.
    page.get_by_label("Encoded text", exact=True).fill("")
    expect(node.locator(".el-image-note")).to_have_text("QR code: set a value")
    assert decode(node.screenshot()) == []
