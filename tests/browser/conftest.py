"""Browser tests: the dashboard in Debian's Chromium, driven by Playwright against
pytest-django's live server (docs/dashboard.md).

Every page a test opens is watched: any console error, uncaught exception or
Content-Security-Policy violation fails the test.
"""

import importlib
import os
import re
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery staple"

# Reports CSP violations through the console, where the page watcher sees them.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def browser(django_db_setup, live_server):
    # Playwright's sync API keeps an event loop running in this thread: the test
    # database and the live server are set up before it starts (and torn down after).
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run bin/ensure-chromium (make test does).")
    from playwright.sync_api import sync_playwright

    # While that loop runs, Django refuses ORM calls from this thread (the tests'
    # own, and the database flush between tests) unless told they are safe: they
    # are, nothing else runs in this thread. Module scope keeps the
    # variable from leaking into later tests (`check --deploy` refuses it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, settings, transactional_db):
    """The live server's URL, with image URLs pointing at it and the seeded plans and
    packs in place (a transactional test's flush removes what migrations seeded)."""
    seed_billing_data()
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


def seed_billing_data() -> None:
    from django.apps import apps

    for migration, function in [
        ("0002_seed_plans", "seed_plans"),
        ("0004_seed_packs_and_append_only_ledger", "seed_packs"),
    ]:
        getattr(importlib.import_module(f"billing.migrations.{migration}"), function)(apps, None)


class PageProblems:
    def __init__(self):
        self.errors: list[str] = []

    def console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error):
        self.errors.append(f"uncaught: {error}")


def open_page(browser, *, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    return context, page, problems


@pytest.fixture
def page(browser, site):
    context, page, problems = open_page(browser)
    yield page
    context.close()
    assert problems.errors == [], "\n".join(problems.errors)


@pytest.fixture
def phone(browser, site):
    context, page, problems = open_page(browser, width=390, height=844)
    yield page
    context.close()
    assert problems.errors == [], "\n".join(problems.errors)


def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/dashboard/")


def confirm_email(page, address: str) -> None:
    """Follow the confirmation link of the last e-mail sent to `address` (the test
    server's mail backend keeps them in django.core.mail.outbox) and confirm."""
    from django.core import mail

    message = [m for m in mail.outbox if address in m.to][-1]
    page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/dashboard/")


def open_designer_with(page, site, width: int, height: int, *elements):
    """A new user's white card of this size with these elements, open in the designer."""
    from playwright.sync_api import expect

    from conftest import make_user
    from templates_app import services

    user = make_user("ada@example.com")
    template = services.create_template(
        owner=user,
        data={"name": "Card", "width": width, "height": height, "background": "#ffffff", "elements": list(elements)},
    )
    log_in(page, site, "ada@example.com")
    page.goto(f"{site}/dashboard/templates/{template.public_id}/edit")
    expect(page.locator("[data-designer].is-ready")).to_have_count(1)
    return template
