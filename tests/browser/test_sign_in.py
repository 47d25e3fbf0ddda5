"""Issue 19's journey in Chromium: sign up, confirm through the link in the e-mail,
enable TOTP, log out, log in with a code, then with a recovery code; and GitHub
sign-in against the local fake provider. The `page` fixture fails the test on any
console error or CSP violation."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests import fake_oauth
from accounts.tests.otp import totp
from tests.browser.conftest import PASSWORD, confirm_email


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))


def password_step(page, site: str, email: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/accounts/2fa/authenticate/")


def test_sign_up_confirm_enable_totp_and_log_in_with_a_code_then_a_recovery_code(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("E-mail").fill("lin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(site + "/dashboard/")
    user = User.objects.get(email="lin@example.com")
    assert not user.has_verified_email()

    page.goto(site + "/dashboard/profile")
    expect(page.get_by_test_id("verify-banner")).to_be_visible()
    confirm_email(page, "lin@example.com")
    assert user.has_verified_email()
    page.goto(site + "/dashboard/profile")
    expect(page.get_by_test_id("verify-banner")).to_have_count(0)

    # Two-factor: the password again, then the app's code.
    page.get_by_role("link", name="Manage two-factor").click()
    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{site}/accounts/2fa/totp/activate/")
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()  # the QR code
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated")).to_be_visible()
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    page.goto(f"{site}/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10

    log_out(page)
    password_step(page, site, "lin@example.com")
    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(site + "/dashboard/")

    log_out(page)
    password_step(page, site, "lin@example.com")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(site + "/dashboard/")
    expect(page.get_by_role("navigation", name="Dashboard")).to_contain_text("lin@example.com")


@pytest.fixture
def provider(monkeypatch, settings):
    fake = fake_oauth.FakeProvider(person=fake_oauth.Person(email="octo@example.com"))
    server = fake_oauth.start(fake)
    fake_oauth.point_allauth_at(monkeypatch, fake.url)
    settings.SOCIALACCOUNT_PROVIDERS = fake_oauth.provider_settings()
    # As settings.py allows github.com once GitHub is configured (form-action covers the redirect).
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": ["'self'", fake.url]}
    yield fake
    server.shutdown()
    server.server_close()


def test_github_sign_in_through_the_fake_provider(page, site, provider):
    page.goto(site + "/login")
    page.get_by_role("button", name="Continue with GitHub").click()
    page.wait_for_url(site + "/dashboard/")
    user = User.objects.get(email="octo@example.com")
    assert user.has_verified_email() and user.socialaccount_set.get().provider == "github"
    authorize = [path for method, path, _ in provider.requests if method == "GET"]
    assert authorize[0] == "/login/oauth/authorize"
    assert urlsplit(page.url).path == "/dashboard/"
