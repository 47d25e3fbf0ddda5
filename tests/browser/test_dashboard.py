"""The dashboard as a new user meets it, in real Chromium (see conftest.py: every page
fails its test on a console error or a CSP violation)."""

import os
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import ApiKey, User
from billing import payments
from billing.models import BillingAccount, Payment
from conftest import make_user
from templates_app import services
from templates_app.models import DesignTemplate, Image
from tests.browser.conftest import PASSWORD, log_in

pytestmark = pytest.mark.browser

CARD = {
    "name": "Blog card",
    "width": 600,
    "height": 315,
    "background": "#0b0d12",
    "elements": [
        {"name": "band", "type": "rect", "x": 0, "y": 255, "width": 600, "height": 60, "fill": "#4f46e5"},
        {
            "name": "title",
            "type": "text",
            "x": 40,
            "y": 60,
            "width": 520,
            "height": 140,
            "text": "Hello from Imagior",
            "font_size": 56,
            "color": "#ffffff",
        },
    ],
}
# What sticks out, for the failure message of the layout test.
WIDER_THAN_THE_SCREEN = """[...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map((element) => `${element.tagName}.${element.className}`)"""
# Set IMAGIOR_SCREENSHOTS=/some/folder to keep a picture of every page the layout test opens.
SCREENSHOTS = os.environ.get("IMAGIOR_SCREENSHOTS")


def api(base_url: str, key: str, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return requests.request(method, f"{base_url}/api/v1/{path}", headers=headers, timeout=30, **kwargs)


def canvas_size(page, selector: str) -> tuple[int, int]:
    box = page.locator(selector).bounding_box()
    return round(box["width"]), round(box["height"])


def test_a_new_user_signs_up_creates_a_key_uses_it_and_revokes_it(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(site + "/dashboard/")
    expect(page.get_by_test_id("balance")).to_have_text("50")
    expect(page.get_by_role("heading", name="First steps")).to_be_visible()
    width, height = canvas_size(page, "#usage-chart")
    assert width > 100 and height > 100

    page.locator(".checklist").get_by_role("link", name="Create an API key").click()
    page.get_by_label("Name").fill("my laptop")
    page.get_by_label("Live").check()
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").inner_text().strip()
    assert re.fullmatch(r"imk_live_[0-9A-Za-z]{38}", key)
    page.get_by_role("button", name="Copy").first.click()

    page.reload()
    expect(page.get_by_role("cell", name="my laptop")).to_be_visible()
    assert key not in page.content()  # shown once, never again

    answer = api(site, key, "GET", "account")
    assert answer.status_code == 200
    assert answer.json()["credits"]["balance"] == 50

    page.get_by_text("Revoke…").click()
    page.get_by_role("button", name="Revoke “my laptop”").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert api(site, key, "GET", "account").status_code == 401


def test_an_image_rendered_through_the_api_shows_with_its_thumbnail(page, site):
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    _, key = ApiKey.issue(alice, name="build", mode="test")
    answer = api(site, key, "POST", "images", json={"template": template.public_id, "modifications": {"title": "Hi"}})
    assert answer.status_code == 201, answer.text
    image_id = answer.json()["id"]

    log_in(page, site, "alice@example.com")
    page.get_by_role("link", name="Images", exact=True).click()
    thumbnail = page.locator(f'a[href="/dashboard/images/{image_id}"] img')
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => img.naturalWidth") == 600

    thumbnail.click()
    page.wait_for_url(f"{site}/dashboard/images/{image_id}")
    expect(page.get_by_role("heading", name=image_id)).to_be_visible()
    expect(page.locator("pre.code").first).to_contain_text('"text": "Hi"')

    # Render again with another title, in the field generated for it: a test image, so free.
    page.get_by_label("title (text)").fill("Rendered again")
    page.get_by_role("button", name="Render", exact=True).click()
    expect(page.get_by_text("Rendered again.")).to_be_visible()
    assert Image.objects.filter(owner=alice).count() == 2
    assert page.locator("img.preview-image").evaluate("img => img.complete && img.naturalWidth") == 600


def test_a_pending_render_updates_itself(page, site):
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    image = Image.objects.create(
        owner=alice,
        template=template,
        template_public_id=template.public_id,
        template_version=1,
        width=600,
        height=315,
        sandbox=True,
        status=Image.Status.PENDING,
    )
    log_in(page, site, "alice@example.com")
    page.goto(f"{site}/dashboard/images/{image.public_id}")
    expect(page.locator("#image-status")).to_contain_text("pending")
    Image.objects.filter(pk=image.pk).update(
        status=Image.Status.FAILED, error={"code": "render_failed", "message": "x"}
    )
    expect(page.locator("#image-status")).to_contain_text("failed", timeout=8_000)


def test_buying_credits_is_confirmed_then_pending_until_marked_paid(page, site, settings):
    settings.PAYMENT_PROVIDER = "manual"
    make_user("alice@example.com")
    log_in(page, site, "alice@example.com")
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("balance")).to_have_text("50")
    expect(page.locator(".plan-current")).to_contain_text("Free")
    page.locator("a[data-pack]").first.click()
    expect(page.get_by_test_id("charge")).to_contain_text("$9")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("pay-instructions")).to_be_visible()
    assert BillingAccount.objects.get(user__email="alice@example.com").balance == 50
    payment = Payment.objects.get(account__user__email="alice@example.com")
    payments.complete_payment(payment, by="admin:staff@example.com")  # staff mark it paid in admin
    page.get_by_role("link", name="Billing").first.click()
    balance = BillingAccount.objects.get(user__email="alice@example.com").balance
    assert balance == 550
    expect(page.get_by_test_id("balance")).to_have_text(str(balance))
    expect(page.get_by_role("cell", name="Purchase")).to_be_visible()


def test_pages_fit_a_phone_and_a_desktop(browser, site, phone):
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    services.render_image(owner=alice, template_id=template.public_id, sandbox=True)
    ApiKey.issue(alice, name="a key with a rather long descriptive name", allowed_ips=["203.0.113.0/24"])
    image = Image.objects.get(owner=alice)
    pages = [
        "/dashboard/",
        "/dashboard/keys",
        "/dashboard/images",
        f"/dashboard/images/{image.public_id}",
        "/dashboard/templates",
        "/dashboard/usage",
        "/dashboard/webhooks",
        "/dashboard/billing",
        "/dashboard/docs",
        "/dashboard/profile",
    ]
    log_in(phone, site, "alice@example.com")
    for path in pages:
        phone.goto(site + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            pytest.fail(f"{path} scrolls sideways by {overflow}px at 390 px: {phone.evaluate(WIDER_THAN_THE_SCREEN)}")
        if SCREENSHOTS:
            phone.screenshot(path=str(Path(SCREENSHOTS) / f"phone{path.replace('/', '_')}.png"), full_page=True)

    # The menu folds away on a phone and opens from the keyboard.
    expect(phone.get_by_role("navigation", name="Dashboard")).to_be_hidden()
    phone.get_by_role("button", name="Menu").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("link", name="API keys")).to_be_visible()

    if SCREENSHOTS:
        from tests.browser.conftest import open_page

        context, desktop, _ = open_page(browser)
        desktop.goto(site + "/")
        desktop.screenshot(path=str(Path(SCREENSHOTS) / "desktop_home.png"), full_page=True)
        log_in(desktop, site, "alice@example.com")
        for path in pages:
            desktop.goto(site + path)
            desktop.screenshot(path=str(Path(SCREENSHOTS) / f"desktop{path.replace('/', '_')}.png"), full_page=True)
        context.close()


def test_admin_works_under_the_csp(page, site):
    User.objects.create_superuser("root@example.com", PASSWORD)
    page.goto(site + "/admin/login/")  # the site's login (allauth), then back to the admin
    page.get_by_label("E-mail").fill("root@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(site + "/admin/billing/plan/")
    page.get_by_role("link", name="Starter").click()
    expect(page.get_by_label("Monthly credits")).to_have_value("1000")


def test_the_new_template_page_shows_the_custom_size_fields_only_for_custom(page, site):
    make_user("alice@example.com")
    log_in(page, site, "alice@example.com")
    page.goto(site + "/dashboard/templates/new")
    width = page.get_by_label("Custom width (px)")
    expect(page.get_by_label("Social card · 1200 × 630")).to_be_checked()
    expect(width).to_be_hidden()
    page.get_by_label("Custom size").check()
    expect(width).to_be_visible()
    width.fill("640")
    page.get_by_label("Custom height (px)").fill("320")
    page.get_by_label("Square post · 1080 × 1080").check()
    expect(width).to_be_hidden()
    page.get_by_label("Custom size").check()
    page.get_by_role("button", name="Create and open the designer").click()
    page.wait_for_url(re.compile(r".*/dashboard/templates/tpl_\w+/edit"))
    assert DesignTemplate.objects.values_list("width", "height").get() == (640, 320)


def test_a_duplicates_thumbnail_appears_without_a_reload(page, site, settings):
    from templates_app import previews

    alice = make_user("alice@example.com")
    original = services.create_template(owner=alice, data=CARD)
    previews.render_thumbnail(template_id=original.pk)
    # Thumbnails render in the worker: here nobody runs them until the test does.
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    log_in(page, site, "alice@example.com")
    page.goto(site + "/dashboard/templates")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_text("Duplicated")).to_be_visible()
    copy = DesignTemplate.objects.exclude(pk=original.pk).get()
    card = page.locator(f'li[data-template="{copy.public_id}"]')
    expect(card.get_by_test_id("thumbnail-pending")).to_be_visible()
    previews.render_thumbnail(template_id=copy.pk)
    thumbnail = card.locator("img.tpl-thumb-image")
    expect(thumbnail).to_be_visible(timeout=8000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())


def test_template_ids_stay_inside_their_cards_and_copy_whole(page, site):
    alice = make_user("alice@example.com")
    for number in range(3):
        services.create_template(owner=alice, data={**CARD, "name": f"Card {number}"})
    template = DesignTemplate.objects.first()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, site, "alice@example.com")
    page.set_viewport_size({"width": 600, "height": 900})  # cards 180 px wide, a 26-character id is 193
    page.goto(site + "/dashboard/templates")
    sticking_out = page.evaluate(
        """[...document.querySelectorAll(".gallery-item")].flatMap((card) => {
             const edge = card.getBoundingClientRect().right + 1;
             return [...card.querySelectorAll("*")]
               .filter((element) => element.getBoundingClientRect().right > edge)
               .map((element) => `${element.tagName}.${element.className}`);
           })"""
    )
    assert sticking_out == []
    card = page.locator(f'li[data-template="{template.public_id}"]')
    expect(card.locator("code")).to_have_attribute("title", template.public_id)
    card.get_by_role("button", name=f"Copy id of {template.name}").click()
    expect(card.get_by_role("button", name=f"Copy id of {template.name}")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == template.public_id
