"""What the designer's canvas shows for QR codes and pictures, in real Chromium (issue 17):
the real QR code (read back with zxing-cpp) and remote pictures fetched through the server.
conftest.py fails a test on any console error or CSP violation."""

import io
from urllib.parse import quote

import pytest
import zxingcpp
from PIL import Image as PILImage
from playwright.sync_api import expect

from conftest import serving
from tests.browser.conftest import open_designer_with

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 600, 300


def open_designer(page, site, *elements):
    """A 600×300 card with these elements, open in the designer as its owner."""
    return open_designer_with(page, site, WIDTH, HEIGHT, *elements)


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


@pytest.fixture
def picture_server():
    """A loopback HTTP server (another origin than the site) with two photos."""
    served = {}
    for path, colour in (("/orange.jpg", (240, 120, 20)), ("/teal.jpg", (20, 150, 140))):
        buffer = io.BytesIO()
        PILImage.new("RGB", (160, 120), colour).save(buffer, "JPEG", quality=95)
        served[path] = buffer.getvalue()
    with serving({path: ("image/jpeg", body) for path, body in served.items()}) as (base, hits):
        yield base, hits


def centre_colour(png: bytes) -> tuple[int, int, int]:
    picture = PILImage.open(io.BytesIO(png)).convert("RGB")
    return picture.getpixel((picture.width // 2, picture.height // 2))


def close_to(actual, expected, tolerance: int = 16) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_a_remote_picture_shows_on_the_canvas_through_the_server(page, site, picture_server, settings):
    settings.ALLOW_PRIVATE_FETCH = True  # the picture server is on loopback
    base, hits = picture_server
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    template = open_designer(
        page,
        site,
        {"name": "photo", "type": "image", "x": 300, "y": 30, "width": 240, "height": 180, "src": f"{base}/orange.jpg"},
    )
    node = page.locator(".el-image")
    expect(node.locator("img")).to_have_count(1)
    assert close_to(centre_colour(node.screenshot()), (240, 120, 20))
    endpoint = f"/dashboard/templates/{template.public_id}/picture?src="
    assert node.locator("img").get_attribute("src") == endpoint + quote(f"{base}/orange.jpg", safe="")

    # A new URL typed in the panel: fetched once it stops changing, and shown.
    node.click()
    page.get_by_label("Source", exact=True).fill(f"{base}/teal.jpg")
    expect(node.locator("img")).to_have_attribute("src", endpoint + quote(f"{base}/teal.jpg", safe=""))
    node.locator("img").evaluate("img => img.decode()")
    assert close_to(centre_colour(node.screenshot()), (20, 150, 140))

    # The browser never went to the picture's origin itself; the server did, once per picture.
    assert not [url for url in requested if url.startswith(base)]
    assert sorted(hits) == ["/orange.jpg", "/teal.jpg"]


def test_a_font_uploaded_from_the_designer_joins_the_list_and_is_chosen(page, site, tmp_path):
    from api.tests.fontfiles import square_font
    from templates_app.models import UserFont

    open_designer(
        page, site, {"name": "title", "type": "text", "x": 20, "y": 20, "width": 300, "height": 80, "text": "AAA"}
    )
    page.locator(".el-text").click()
    font_file = tmp_path / "acme.ttf"
    font_file.write_bytes(square_font(family="Acme Sans", weight=700))
    page.locator('[data-field="font_family"] input[type=file]').set_input_files(str(font_file))
    expect(page.locator('[data-field="font_family"]')).to_contain_text("Uploaded “Acme Sans” (700)")
    font = page.get_by_label("Font", exact=True)
    expect(font).to_have_value("Acme Sans")
    assert font.locator("optgroup[label='Your fonts'] option").all_inner_texts() == ["Acme Sans"]
    assert UserFont.objects.filter(family="Acme Sans", weight=700).count() == 1
    title = page.evaluate("window.imagiorDesigner.state()")["elements"][0]
    assert (title["font_family"], title["font_weight"]) == ("Acme Sans", 700)
    # One undo step puts the old font back.
    page.keyboard.press("Control+z")
    assert page.evaluate("window.imagiorDesigner.state()")["elements"][0]["font_family"] != "Acme Sans"


def test_the_font_previews_draw_each_family_in_its_own_font_and_choose_one(page, site):
    open_designer(
        page, site, {"name": "title", "type": "text", "x": 20, "y": 20, "width": 300, "height": 80, "text": "Hello"}
    )
    page.locator(".el-text").click()
    toggle = page.get_by_role("button", name="Show font previews")
    toggle.click()
    expect(page.get_by_role("button", name="Hide font previews")).to_have_attribute("aria-expanded", "true")
    previews = page.locator(".font-previews [data-font]")
    families = previews.evaluate_all("buttons => buttons.map((b) => b.dataset.font)")
    listed = page.get_by_label("Font", exact=True).locator("option").all_inner_texts()
    assert families == listed and {"Inter", "Playfair Display", "JetBrains Mono"} <= set(families)
    # Each name is set in its own family, and that family's file is loaded into the page.
    page.evaluate("document.fonts.ready")
    for family in ("Playfair Display", "JetBrains Mono", "Lato"):
        button = previews.and_(page.locator(f'[data-font="{family}"]'))
        assert button.evaluate("b => getComputedStyle(b).fontFamily").replace('"', "").startswith(f"{family},")
    widths = page.evaluate(
        """() => {
            const out = {};
            for (const b of document.querySelectorAll(".font-previews [data-font]")) {
                const probe = document.createElement("span");
                probe.textContent = "Handgloves 0123";
                probe.style.font = getComputedStyle(b).font;
                document.body.append(probe);
                const loaded = [...document.fonts].some(
                    (f) => f.family.replaceAll('"', "") === b.dataset.font && f.status === "loaded"
                );
                out[b.dataset.font] = [probe.getBoundingClientRect().width, loaded];
                probe.remove();
            }
            return out;
        }"""
    )
    assert widths["Playfair Display"][1] and widths["JetBrains Mono"][1]
    # Different fonts, different widths of the same text (a monospace is wider than a serif).
    assert abs(widths["JetBrains Mono"][0] - widths["Playfair Display"][0]) > 5
    # A click chooses the family for the text; the list stays open, the choice is marked.
    previews.and_(page.locator('[data-font="Playfair Display"]')).click()
    assert page.evaluate("window.imagiorDesigner.state()")["elements"][0]["font_family"] == "Playfair Display"
    expect(page.locator('.font-previews [data-font="Playfair Display"]')).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Font", exact=True)).to_have_value("Playfair Display")
