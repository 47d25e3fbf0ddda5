"""Google and GitHub sign-in against a local fake of their OAuth endpoints
(accounts/tests/fake_oauth.py): shown only when configured, new accounts start
verified, and an existing account is joined only through an address verified on both sides."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY

from accounts.models import User
from accounts.tests import fake_oauth
from billing.models import BillingAccount

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def provider(monkeypatch, settings):
    fake = fake_oauth.FakeProvider()
    server = fake_oauth.start(fake)
    fake_oauth.point_allauth_at(monkeypatch, fake.url)
    settings.SOCIALACCOUNT_PROVIDERS = fake_oauth.provider_settings()
    yield fake
    server.shutdown()
    server.server_close()


def sign_in_with(client, provider_id: str, fake):
    """Start at our site, agree at the provider (it sends the browser back with a code), land back here."""
    start = client.post(f"/accounts/{provider_id}/login/?process=login")
    assert start.status_code == 302 and start["Location"].startswith(fake.url)
    query = fake_oauth.query_of(start["Location"])
    assert query["client_id"] == {"github": "gh-id", "google": "g-id"}[provider_id]
    callback = urlsplit(query["redirect_uri"]).path
    assert callback == f"/accounts/{provider_id}/login/callback/"
    return client.get(callback, {"code": fake_oauth.CODE, "state": query["state"]})


def test_providers_are_hidden_until_configured(client, db):
    for path in ["/login", "/signup"]:
        page = client.get(path)
        assert page.status_code == 200 and b"Continue with" not in page.content
    assert client.post("/accounts/github/login/?process=login").status_code == 404


def test_configured_providers_are_offered_as_post_buttons(client, db, provider):
    for path in ["/login", "/signup"]:
        body = client.get(path).content.decode()
        assert '<form method="post" action="/accounts/github/login/?process=login">' in body
        assert '<form method="post" action="/accounts/google/login/?process=login">' in body
        assert "Continue with GitHub" in body and "Continue with Google" in body


def test_a_new_github_user_gets_a_verified_account_with_its_balance(client, db, provider):
    response = sign_in_with(client, "github", provider)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert SocialAccount.objects.get(user=user).provider == "github"
    assert SocialAccount.objects.get(user=user).uid == "4242"
    assert user.has_verified_email() and not user.has_usable_password()
    assert BillingAccount.objects.get(user=user).balance == 50
    exchange = [form for method, path, form in provider.requests if method == "POST"]
    assert len(exchange) == 1
    assert exchange[0]["client_id"] == "gh-id" and exchange[0]["client_secret"] == "gh-secret"
    assert exchange[0]["code"] == fake_oauth.CODE
    assert exchange[0]["redirect_uri"] == "http://testserver/accounts/github/login/callback/"
    # Signing in again finds the same account.
    client.post("/logout")
    assert sign_in_with(client, "github", provider).status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk) and User.objects.count() == 1


def test_a_new_google_user_gets_a_verified_account(client, db, provider):
    response = sign_in_with(client, "google", provider)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    assert SocialAccount.objects.get(user=user).provider == "google"
    assert user.has_verified_email()


def test_a_verified_address_on_both_sides_joins_the_existing_account(client, alice, provider):
    provider.person.email = "alice@example.com"
    response = sign_in_with(client, "github", provider)
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(alice.pk)
    assert SocialAccount.objects.get(provider="github").user == alice
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)  # her password still works too
    assert User.objects.count() == 1


def test_an_address_we_never_verified_does_not_hand_over_the_account(client, alice, provider):
    EmailAddress.objects.filter(user=alice).update(verified=False)
    provider.person.email = "alice@example.com"
    response = sign_in_with(client, "github", provider)
    assert SESSION_KEY not in client.session
    assert response.status_code == 302 and response["Location"] == "/accounts/3rdparty/signup/"
    assert not SocialAccount.objects.exists()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert User.objects.count() == 1


def test_an_address_the_provider_did_not_verify_does_not_join_an_account(client, alice, provider):
    provider.person.email = "alice@example.com"
    provider.person.verified = False
    sign_in_with(client, "github", provider)
    assert SESSION_KEY not in client.session
    assert not SocialAccount.objects.filter(user=alice).exists()
    assert User.objects.count() == 1


def test_a_forged_callback_state_is_refused(client, db, provider):
    start = client.post("/accounts/github/login/?process=login")
    query = fake_oauth.query_of(start["Location"])
    response = client.get("/accounts/github/login/callback/", {"code": fake_oauth.CODE, "state": "forged"})
    assert response.status_code == 401 and b"Third-Party Login Failure" in response.content
    assert SESSION_KEY not in client.session
    assert not User.objects.exists() and query["state"] != "forged"


def configured_providers(**env) -> str:
    """The providers a fresh process offers with these environment variables, and
    where its CSP lets forms go (the provider buttons are redirected there)."""
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "GITHUB_CLIENT_ID", "GOOGLE_CLIENT_ID"}
    environment = {k: v for k, v in os.environ.items() if k not in skip} | env
    code = (
        "from django.conf import settings; p = settings.SOCIALACCOUNT_PROVIDERS;"
        "print(sorted((name, app['client_id'], app['secret']) for name in p for app in p[name]['APPS']),"
        " settings.SECURE_CSP['form-action'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_providers_come_from_environment_variables():
    assert configured_providers() == "[] [\"'self'\"]"
    github = configured_providers(GITHUB_CLIENT_ID="Iv1.abc", GITHUB_CLIENT_SECRET="s3")
    assert github == "[('github', 'Iv1.abc', 's3')] [\"'self'\", 'https://github.com']"
    both = configured_providers(
        GITHUB_CLIENT_ID="Iv1.abc", GITHUB_CLIENT_SECRET="s3", GOOGLE_CLIENT_ID="123.apps", GOOGLE_CLIENT_SECRET="g"
    )
    assert both == (
        "[('github', 'Iv1.abc', 's3'), ('google', '123.apps', 'g')]"
        " [\"'self'\", 'https://github.com', 'https://accounts.google.com']"
    )
