"""The images page in real Chromium: select all, bulk delete, the re-render form
(the page fixture fails on console errors and CSP violations)."""

import pytest
from playwright.sync_api import expect

from conftest import make_user
from templates_app import services
from templates_app.models import Image
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

CARD = {
    "name": "Card",
    "width": 160,
    "height": 80,
    "background": "#ffffff",
    "elements": [
        {"name": "band", "type": "rect", "x": 0, "y": 0, "width": 160, "height": 80, "fill": "#00ff00"},
        {"name": "title", "type": "text", "x": 5, "y": 5, "width": 150, "height": 40, "text": "Hi"},
    ],
}


def test_select_all_by_keyboard_then_bulk_delete_with_confirmation(page, site):
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    for _ in range(3):
        services.render_image(owner=alice, template_id=template.public_id, sandbox=True)
    log_in(page, site, "alice@example.com")
    page.goto(f"{site}/dashboard/images?mode=test")
    select_all = page.get_by_label("Select all on this page")
    boxes = page.locator('input[name="images"]')
    expect(boxes).to_have_count(3)
    select_all.focus()
    page.keyboard.press("Space")
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    # Clearing one leaves "select all" part-ticked; ticking it again ticks everything.
    boxes.nth(1).focus()
    page.keyboard.press("Space")
    expect(select_all).not_to_be_checked()
    assert select_all.evaluate("box => box.indeterminate")
    boxes.nth(1).check()
    expect(select_all).to_be_checked()
    page.get_by_role("button", name="Delete selected…").click()
    expect(page.get_by_role("heading", name="Delete 3 images?")).to_be_visible()
    assert Image.objects.filter(owner=alice).count() == 3
    page.get_by_role("button", name="Delete 3 images").click()
    expect(page.get_by_text("Deleted 3 images; their URLs no longer work.")).to_be_visible()
    assert page.url == f"{site}/dashboard/images?mode=test"  # the filters kept
    assert not Image.objects.filter(owner=alice).exists()


def test_rerender_from_the_generated_form(page, site):
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    image, _ = services.render_image(owner=alice, template_id=template.public_id, sandbox=True)
    log_in(page, site, "alice@example.com")
    page.goto(f"{site}/dashboard/images/{image.public_id}")
    band = page.get_by_label("band (rect)")
    expect(band).to_have_value("#00ff00")
    expect(page.get_by_label("title (text)")).to_have_value("Hi")
    band.fill("#ff0000")
    page.get_by_role("button", name="Render", exact=True).click()
    expect(page.get_by_text("Rendered again.")).to_be_visible()
    new = Image.objects.exclude(pk=image.pk).get(owner=alice)
    assert new.modifications == [{"name": "band", "fill": "#ff0000"}]
    # Pixels: the band now red.
    from PIL import Image as Picture

    with new.file.open("rb") as handle:
        red, green, blue = Picture.open(handle).convert("RGB").getpixel((150, 70))[:3]
    assert red > 200 and green < 60 and blue < 60
