"""Accessibility of every dashboard page in real Chromium: axe-core (vendored in
tests/browser/vendor/axe-core, see its README) finds no serious or critical
violation, and Tab reaches every control of the keys page and the designer.

axe is injected with page.evaluate (the strict CSP forbids the inline script
add_script_tag would add); the page fixture still fails on console errors and
CSP violations."""

from pathlib import Path

import pytest

from accounts.models import ApiKey
from conftest import make_user
from templates_app import services
from templates_app.models import DesignTemplate, Image
from tests.browser.conftest import log_in
from webhooks import services as webhooks

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
CARD = {
    "name": "Card",
    "width": 320,
    "height": 160,
    "background": "#ffffff",
    "elements": [
        {"name": "band", "type": "rect", "x": 0, "y": 0, "width": 320, "height": 40, "fill": "#4f46e5"},
        {"name": "title", "type": "text", "x": 10, "y": 60, "width": 300, "height": 60, "text": "Hello"},
    ],
}
DASHBOARD = [
    "/dashboard/",
    "/dashboard/keys",
    "/dashboard/templates",
    "/dashboard/templates/{template}/edit",
    "/dashboard/templates/new",
    "/dashboard/images",
    "/dashboard/images/{image}",
    "/dashboard/usage",
    "/dashboard/billing",
    "/dashboard/webhooks",
    "/dashboard/docs",
    "/dashboard/profile",
    "/dashboard/audit",
    "/dashboard/profile/delete",
]
SIGNED_OUT = ["/login", "/signup"]
# Runs axe on the whole page; answers the serious and critical violations.
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}, ${violation.nodes.length}×):`
      + ` ${violation.nodes[0].target.join(" ")} — ${violation.help}`);
}"""


def user_with_data():
    """A user with a template, a rendered image, an API key and a webhook."""
    alice = make_user("alice@example.com")
    template = services.create_template(owner=alice, data=CARD)
    services.render_image(owner=alice, template_id=template.public_id, sandbox=True)
    ApiKey.issue(alice, name="laptop")
    webhooks.create_subscription(owner=alice, url="https://example.com/hook", events=["image.completed"])
    return alice


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("path", DASHBOARD)
def test_dashboard_page_has_no_serious_axe_violation(page, site, path):
    alice = user_with_data()
    template = DesignTemplate.objects.get(owner=alice)
    image = Image.objects.get(owner=alice)
    log_in(page, site, "alice@example.com")
    page.goto(site + path.format(template=template.public_id, image=image.public_id))
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    assert violations == [], f"{path}:\n" + "\n".join(violations)


@pytest.mark.parametrize("path", SIGNED_OUT)
def test_signed_out_page_has_no_serious_axe_violation(page, site, path):
    page.goto(site + path)
    violations = axe_violations(page)
    assert violations == [], f"{path}:\n" + "\n".join(violations)


# Every visible, enabled control of the main area, keyed for the focus walk (a radio group is one stop).
CONTROLS = """() => [...document.querySelectorAll(
    "#main a[href], #main button, #main input, #main select, #main textarea, #main [tabindex]")]
  .filter((el) => !el.disabled && el.tabIndex >= 0 && el.type !== "hidden"
    && el.checkVisibility({visibilityProperty: true}))  // also false inside a closed <details>
  .map((el) => { el.dataset.a11yKey ??= el.type === "radio" ? `radio-${el.name}`  // Tab enters a radio group once
                   : `${el.tagName.toLowerCase()}-${Math.random().toString(36).slice(2)}`;
                 return el.dataset.a11yKey; })"""
FOCUSED = "() => document.activeElement?.dataset?.a11yKey ?? null"
DESCRIBE = """(keys) => keys.map((key) => { const el = document.querySelector(`[data-a11y-key="${key}"]`);
  return `${el.tagName.toLowerCase()} ${el.getAttribute("aria-label") || el.textContent.trim().slice(0, 40)
    || el.name || el.id}`; })"""


def controls_tab_misses(page, limit: int) -> list[str]:
    """The main area's controls that `limit` presses of Tab never focus (described)."""
    wanted = set(page.evaluate(CONTROLS))
    assert wanted, "no controls found in #main"
    page.evaluate("() => document.activeElement?.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        wanted.discard(page.evaluate(FOCUSED))
        if not wanted:
            return []
    return page.evaluate(DESCRIBE, sorted(wanted))


@pytest.mark.parametrize("path", ["/dashboard/keys", "/dashboard/templates/{template}/edit"])
def test_tab_reaches_every_control_of_the_main_area(page, site, path):
    alice = user_with_data()
    template = DesignTemplate.objects.get(owner=alice)
    log_in(page, site, "alice@example.com")
    page.goto(site + path.format(template=template.public_id))
    page.wait_for_load_state("networkidle")
    assert controls_tab_misses(page, limit=300) == []
