"""Sign-up, log-in, log-out, password reset and change, e-mail change: django-allauth's
views through Django's test client, with our pages, limits and verification rule."""

import importlib
import re

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import User
from billing.models import BillingAccount, LedgerEntry

PASSWORD = "correct horse battery staple"


def link_in_last_mail(pattern: str = r"http://testserver(/\S+)") -> str:
    return re.search(pattern, mail.outbox[-1].body).group(1)


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_sign_up_creates_the_user_opens_their_balance_logs_them_in_and_mails_a_link(client, db):
    response = client.post("/signup", {"email": "Ada@Example.com", "password1": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    assert logged_in_user_id(client) == str(user.pk)
    account = BillingAccount.objects.get(user=user)
    assert account.plan.slug == "free" and account.balance == 50
    assert LedgerEntry.objects.filter(account=account, kind="grant").count() == 1
    address = EmailAddress.objects.get(user=user)
    assert address.email == "ada@example.com" and address.primary and not address.verified
    assert not user.has_verified_email()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    overview = client.get("/dashboard/")
    assert overview.status_code == 200 and b"First steps" in overview.content
    profile = client.get("/dashboard/profile")
    assert b'data-testid="verify-banner"' in profile.content


def test_the_link_in_the_mail_confirms_the_address(client, db):
    client.post("/signup", {"email": "ada@example.com", "password1": PASSWORD})
    link = link_in_last_mail()
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm" in page.content
    assert client.post(link).status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert user.has_verified_email() and EmailAddress.objects.get(user=user).verified
    assert b'data-testid="verify-banner"' not in client.get("/dashboard/profile").content


def test_sign_up_refuses_a_taken_email_and_a_weak_password(client, alice):
    response = client.post("/signup", {"email": "ALICE@example.com", "password1": PASSWORD})
    assert response.status_code == 200
    assert b"already registered" in response.content
    response = client.post("/signup", {"email": "new@example.com", "password1": "password"})
    assert response.status_code == 200 and b"too common" in response.content
    assert not User.objects.filter(email="new@example.com").exists()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_login_and_logout(client, alice):
    response = client.post("/login", {"login": "Alice@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert logged_in_user_id(client) == str(alice.pk)
    assert client.get("/dashboard/keys").status_code == 200
    confirm = client.get("/logout")  # a GET only asks: logging out takes a POST
    assert confirm.status_code == 200 and logged_in_user_id(client) == str(alice.pk)
    assert client.post("/logout").status_code == 302
    assert logged_in_user_id(client) is None
    assert client.get("/dashboard/keys").status_code == 302


def test_a_wrong_password_shows_an_error(client, alice):
    response = client.post("/login", {"login": "alice@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert logged_in_user_id(client) is None


def test_the_login_page_keeps_our_look(client, db):
    page = client.get("/login")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="auth-card"' in body and "css/app.css" in body
    assert '<label for="id_login">E-mail</label>' in body and ">Log in</button>" in body


def test_existing_sessions_survive_the_switch_to_allauth(client, alice):
    # A session made by Django's own login (ModelBackend) before allauth still works.
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/dashboard/keys").status_code == 200


def test_the_migration_confirms_every_existing_users_address(db):
    old = User.objects.create_user("old@example.com", PASSWORD)  # as made before allauth: no EmailAddress
    kept = User.objects.create_user("kept@example.com", PASSWORD)
    EmailAddress.objects.create(user=kept, email="kept@example.com", verified=False, primary=True)
    migration = importlib.import_module("accounts.migrations.0004_verified_email_addresses_for_existing_users")
    migration.confirm_existing_addresses(apps, None)
    address = EmailAddress.objects.get(user=old)
    assert address.email == "old@example.com" and address.verified and address.primary
    assert not kept.has_verified_email()  # signed up through allauth: their own link decides
    assert EmailAddress.objects.filter(user=kept).count() == 1


def test_a_migrated_user_logs_in_with_their_old_password(client, db):
    User.objects.create_user("old@example.com", PASSWORD)
    migration = importlib.import_module("accounts.migrations.0004_verified_email_addresses_for_existing_users")
    migration.confirm_existing_addresses(apps, None)
    response = client.post("/login", {"login": "old@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_password_reset_sends_a_link_that_sets_a_new_password(client, alice):
    response = client.post("/password-reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = link_in_last_mail(r"http://testserver(/accounts/password/reset/key/\S+)")
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and b"password" in form_page.content.lower()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a brand new secret 42", "password2": "a brand new secret 42"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret 42")


def test_an_old_style_reset_link_asks_for_a_new_one(client, db):
    response = client.get("/password-reset/MQ/abc-123")
    assert response.status_code == 302 and response["Location"] == "/password-reset/"


def test_password_change_keeps_the_session(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "another long secret 7", "password2": "another long secret 7"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long secret 7")
    assert client.get("/dashboard/profile").status_code == 200  # still logged in


def test_password_change_refuses_a_wrong_current_password(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/change/", {"oldpassword": "x", "password1": "another 7 yes", "password2": "another 7 yes"}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_an_email_change_takes_effect_once_the_new_address_is_confirmed(client, alice):
    client.force_login(alice)
    response = client.post("/accounts/email/", {"action_add": "", "email": "alice@new.example"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not yet: the new address is unconfirmed
    assert mail.outbox[-1].to == ["alice@new.example"]
    link = link_in_last_mail()
    assert client.post(link).status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")) == [
        ("alice@new.example", True, True)
    ]


def test_an_email_change_refuses_another_accounts_address(client, alice, bob):
    client.force_login(alice)
    response = client.post("/accounts/email/", {"action_add": "", "email": "bob@example.com"})
    assert response.status_code == 302  # the same answer as for a free address: no enumeration
    # The link goes to bob; even if he follows it, his address stays his.
    Client().post(link_in_last_mail())
    assert not EmailAddress.objects.filter(user=alice, email="bob@example.com", verified=True).exists()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert EmailAddress.objects.get(email="bob@example.com", verified=True).user == bob


def test_the_profile_links_to_each_setting(client, alice):
    client.force_login(alice)
    page = client.get("/dashboard/profile")
    assert page.status_code == 200
    for href in [b"/accounts/email/", b"/accounts/password/change/", b"/accounts/2fa/"]:
        assert href in page.content
    assert b'data-testid="verify-banner"' not in page.content
    for path in ["/accounts/email/", "/accounts/password/change/"]:
        settings_page = client.get(path)
        assert settings_page.status_code == 200 and b'class="card account-card"' in settings_page.content
