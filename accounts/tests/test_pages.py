"""Sign-up, login, profile and API-key pages through Django's test client."""

import re

import pytest
from django.core import mail

from accounts.models import ApiKey, User
from billing.models import BillingAccount, LedgerEntry

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_the_home_page_invites_anonymous_visitors_to_sign_up_or_log_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/signup"' in response.content and b'href="/login"' in response.content


def test_the_home_page_sends_a_signed_in_user_to_the_overview(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_sign_up_creates_the_user_opens_their_balance_and_logs_them_in(client, db):
    response = client.post("/signup", {"email": "Ada@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    account = BillingAccount.objects.get(user=user)
    assert account.plan.slug == "free" and account.balance == 50
    assert LedgerEntry.objects.filter(account=account, kind="grant").count() == 1
    overview = client.get("/dashboard/")
    assert overview.status_code == 200
    assert b"First steps" in overview.content


def test_sign_up_refuses_a_taken_email_and_a_weak_password(client, alice):
    response = client.post("/signup", {"email": "ALICE@example.com", "password": "password"})
    assert response.status_code == 200
    assert b"exists already" in response.content
    response = client.post("/signup", {"email": "new@example.com", "password": "password"})
    assert b"too common" in response.content
    assert not User.objects.filter(email="new@example.com").exists()


def test_login_and_logout(client, alice):
    response = client.post("/login", {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/keys").status_code == 200
    assert client.get("/logout").status_code == 405  # logging out takes a POST
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard/keys").status_code == 302


def test_a_wrong_password_shows_an_error(client, alice):
    response = client.post("/login", {"username": "alice@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct" in response.content.lower()


def test_login_attempts_are_limited_per_address(client, alice, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert client.post("/login", {"username": "alice@example.com", "password": "nope"}).status_code == 200
    response = client.post("/login", {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"Too many attempts" in response.content


def test_password_reset_sends_a_link_that_sets_a_new_password(client, alice):
    response = client.post("/password-reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new secret 42", "new_password2": "a brand new secret 42"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret 42")


@pytest.mark.parametrize("path", ["/dashboard/profile", "/dashboard/keys", "/dashboard/secrets/callback"])
def test_account_pages_need_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_the_profile_changes_email_and_password(alice_client, alice):
    response = alice_client.post(
        "/dashboard/profile",
        {"action": "email", "email-email": "alice@new.example", "email-current_password": PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    response = alice_client.post(
        "/dashboard/profile",
        {
            "action": "password",
            "password-old_password": PASSWORD,
            "password-new_password1": "another long secret 7",
            "password-new_password2": "another long secret 7",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long secret 7")
    assert alice_client.get("/dashboard/profile").status_code == 200  # still logged in


def test_the_profile_refuses_a_wrong_current_password(alice_client, alice, bob):
    response = alice_client.post(
        "/dashboard/profile", {"action": "email", "email-email": "bob@example.com", "email-current_password": "x"}
    )
    assert response.status_code == 200
    assert b"Another account uses this e-mail." in response.content
    assert b"not your current password" in response.content


def test_a_new_key_is_shown_once_and_works(alice_client, alice):
    response = alice_client.post(
        "/dashboard/keys",
        {"name": "CI", "mode": "test", "allowed_ips": "203.0.113.7\n198.51.100.0/24", "allowed_domains": ""},
    )
    assert response.status_code == 302
    page = alice_client.get("/dashboard/keys")
    raw = re.search(rb'data-testid="new-key">(imk_test_\w+)<', page.content).group(1).decode()
    assert "no-store" in page["Cache-Control"]
    key = ApiKey.objects.find_active(raw)
    assert key.user == alice and key.mode == "test" and key.allowed_ips == ["203.0.113.7", "198.51.100.0/24"]
    again = alice_client.get("/dashboard/keys")
    assert raw.encode() not in again.content
    assert key.prefix.encode() in again.content


def test_key_form_errors_sit_next_to_their_fields(alice_client, alice):
    response = alice_client.post("/dashboard/keys", {"name": "", "mode": "live", "allowed_ips": "not-an-ip"})
    assert response.status_code == 400
    assert b'id="id_allowed_ips_error"' in response.content
    assert b'id="id_name_error"' in response.content
    assert not ApiKey.objects.filter(user=alice).exists()


def test_revoking_a_key(alice_client, alice_key):
    key, raw = alice_key
    assert alice_client.get(f"/dashboard/keys/{key.public_id}/revoke").status_code == 405
    response = alice_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    assert response.status_code == 302
    assert ApiKey.objects.find_active(raw) is None


def test_another_accounts_key_cannot_be_revoked(alice_client, bob_key):
    key, raw = bob_key
    assert alice_client.post(f"/dashboard/keys/{key.public_id}/revoke").status_code == 404
    assert ApiKey.objects.find_active(raw) is not None


def test_secrets_are_revealed_on_request_and_rolled(alice_client, alice):
    page = alice_client.get("/dashboard/keys")
    assert alice.callback_secret.encode() not in page.content  # hidden until asked for
    revealed = alice_client.get("/dashboard/secrets/callback")
    assert alice.callback_secret.encode() in revealed.content
    old_callback, old_signing = alice.callback_secret, alice.url_signing_secret
    assert alice_client.post("/dashboard/secrets/callback/roll").status_code == 302
    assert alice_client.post("/dashboard/secrets/url-signing/roll").status_code == 302
    alice.refresh_from_db()
    assert alice.callback_secret.startswith("whsec_") and alice.callback_secret != old_callback
    assert alice.url_signing_secret.startswith("uss_") and alice.url_signing_secret != old_signing


def test_unknown_secrets_are_404(alice_client):
    assert alice_client.get("/dashboard/secrets/password").status_code == 404
    assert alice_client.post("/dashboard/secrets/password/roll").status_code == 404
