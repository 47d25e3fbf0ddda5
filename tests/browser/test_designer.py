"""The template designer in real Chromium: add, drag, resize, recolour, undo/redo,
preview and save (conftest.py fails a test on any console error or CSP violation)."""

import pytest
from playwright.sync_api import expect

from conftest import make_user
from templates_app import services
from templates_app.models import DesignTemplate
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 600, 300


def state(page) -> dict:
    return page.evaluate("window.imagiorDesigner.state()")


def element(page, name: str) -> dict:
    return next(el for el in state(page)["elements"] if el["name"] == name)


def drag(page, start: dict, dx: float, dy: float) -> None:
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] + dx / 2, start["y"] + dy / 2, steps=4)
    page.mouse.move(start["x"] + dx, start["y"] + dy, steps=4)
    page.mouse.up()


def centre(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    return {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}


def preview_pixel(page, x: int, y: int) -> list[int]:
    """The colour of the server preview at template pixel (x, y), read through a canvas."""
    return page.evaluate(
        """([x, y, width]) => {
            const img = document.querySelector("[data-preview-card] img");
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.drawImage(img, 0, 0);
            const scale = img.naturalWidth / width;
            return Array.from(context.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data);
        }""",
        [x, y, WIDTH],
    )


def test_a_user_designs_previews_and_saves_a_template(page, site):
    user = make_user("ada@example.com")
    template = services.create_template(
        owner=user, data={"name": "Launch card", "width": WIDTH, "height": HEIGHT, "background": "#ffffff"}
    )
    log_in(page, site, "ada@example.com")
    page.goto(f"{site}/dashboard/templates/{template.public_id}/edit")
    expect(page.locator("[data-designer].is-ready")).to_have_count(1)

    page.get_by_role("button", name="Text", exact=True).click()
    page.get_by_role("button", name="Rectangle", exact=True).click()
    assert [el["type"] for el in state(page)["elements"]] == ["text", "rect"]
    assert state(page)["selected"] == "rectangle"
    before = element(page, "rectangle")
    zoom = page.locator("[data-canvas-frame]").bounding_box()["width"] / WIDTH

    # Drag the rectangle by 100×50 screen pixels.
    drag(page, centre(page, ".el-rect"), 100, 50)
    moved = element(page, "rectangle")
    assert moved["x"] == pytest.approx(before["x"] + 100 / zoom, abs=2)
    assert moved["y"] == pytest.approx(before["y"] + 50 / zoom, abs=2)
    assert (moved["width"], moved["height"]) == (before["width"], before["height"])

    # Resize it with the bottom-right handle: the top-left corner stays put.
    drag(page, centre(page, ".selection .handle-se"), 60, 40)
    resized = element(page, "rectangle")
    assert (resized["x"], resized["y"]) == (moved["x"], moved["y"])
    assert resized["width"] == pytest.approx(moved["width"] + 60 / zoom, abs=2)
    assert resized["height"] == pytest.approx(moved["height"] + 40 / zoom, abs=2)

    # Recolour it in the properties panel, then undo and redo.
    page.locator('[data-field="fill"] input.hex').fill("#10b981")
    page.locator('[data-field="fill"] input.hex').press("Enter")
    assert element(page, "rectangle")["fill"] == "#10b981"
    page.get_by_role("button", name="Undo").click()
    assert element(page, "rectangle")["fill"] == "#4f46e5"
    page.keyboard.press("Control+Shift+Z")
    assert element(page, "rectangle")["fill"] == "#10b981"

    # The server's preview shows the unsaved rectangle in its new colour.
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("[data-preview-card]")).to_have_attribute("aria-busy", "false")
    expect(page.locator("[data-preview-card].has-image")).to_have_count(1)
    assert page.evaluate("document.querySelector('[data-preview-card] img').naturalWidth") > 0
    rect = element(page, "rectangle")
    inside = (rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2)
    red, green, blue, _alpha = preview_pixel(page, *inside)
    assert abs(red - 0x10) < 12 and abs(green - 0xB9) < 12 and abs(blue - 0x81) < 12

    # Save with the keyboard: the version goes up and the design is stored as shown.
    page.keyboard.press("Control+s")
    expect(page.locator("[data-save-status]")).to_have_text("All changes saved")
    expect(page.locator("[data-version]")).to_have_text("v2")
    template.refresh_from_db()
    assert template.version == 2
    saved = {el["name"]: el for el in template.elements}
    assert saved["rectangle"]["fill"] == "#10b981"
    assert (saved["rectangle"]["x"], saved["rectangle"]["width"]) == (rect["x"], rect["width"])
    assert saved["text"]["text"] == "Your text here"


def test_a_bad_name_is_refused_live_and_a_phone_gets_a_read_only_preview(page, phone, site):
    user = make_user("ada@example.com")
    template = services.create_template(
        owner=user,
        data={
            "name": "Card",
            "width": WIDTH,
            "height": HEIGHT,
            "elements": [
                {"name": "title", "type": "text", "width": 300, "height": 80, "text": "Hi"},
                {"name": "logo", "type": "rect", "width": 50, "height": 50},
            ],
        },
    )
    log_in(page, site, "ada@example.com")
    page.goto(f"{site}/dashboard/templates/{template.public_id}/edit")
    page.locator('[data-layer="logo"] .layer-select').click()
    name = page.locator('[data-field="name"] input')
    name.fill("title")
    expect(page.locator('[data-field="name"] .field-error')).to_contain_text("already named")
    name.fill("Logo!")
    expect(page.locator('[data-field="name"] .field-error')).to_contain_text("a–z")
    name.fill("brand_logo")
    expect(page.locator('[data-field="name"] .field-error')).to_be_hidden()
    assert [el["name"] for el in state(page)["elements"]] == ["title", "brand_logo"]
    page.keyboard.press("Escape")
    page.locator(".el-rect").focus()
    page.keyboard.press("Shift+ArrowRight")
    assert element(page, "brand_logo")["x"] == 10
    page.keyboard.press("Delete")
    assert [el["name"] for el in state(page)["elements"]] == ["title"]
    assert DesignTemplate.objects.get(pk=template.pk).version == 1  # nothing saved yet

    log_in(phone, site, "ada@example.com")
    phone.goto(f"{site}/dashboard/templates/{template.public_id}/edit")
    expect(phone.get_by_text("The designer needs a larger screen")).to_be_visible()
    expect(phone.locator(".d-mobile img")).to_be_visible()
    phone.wait_for_function("document.querySelector('.d-mobile img').naturalWidth > 0")
    expect(phone.locator(".d-canvas")).to_be_hidden()
