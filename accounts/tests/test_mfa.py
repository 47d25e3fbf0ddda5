"""Two-factor through HTTP (allauth.mfa): enable TOTP, log in with a code computed
here, use a recovery code once; wrong codes are limited like wrong passwords."""

import html
import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY

from accounts.tests.otp import totp

PASSWORD = "correct horse battery staple"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def log_in(client, password: str = PASSWORD):
    return client.post("/login", {"login": "alice@example.com", "password": password})


def reauthenticated_get(client, path: str):
    """GET a page that first asks for the password again (allauth's reauthentication)."""
    ask = client.get(path)
    assert ask.status_code == 302 and ask["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(ask["Location"], {"password": PASSWORD}).status_code == 302
    page = client.get(path)
    assert page.status_code == 200
    return page


def enable_totp(client) -> tuple[str, list[str]]:
    """Log in, activate an authenticator app, read the recovery codes; returns both."""
    assert log_in(client).status_code == 302
    page = reauthenticated_get(client, "/accounts/2fa/totp/activate/")
    secret = re.search(rb'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content).group(1).decode()
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302
    codes_page = client.get("/accounts/2fa/recovery-codes/")
    assert codes_page.status_code == 200
    textarea = re.search(rb'<textarea[^>]*id="recovery_codes"[^>]*>(.*?)</textarea>', codes_page.content, re.S)
    codes = html.unescape(textarea.group(1).decode()).split()
    return secret, codes


@pytest.fixture
def alice_with_totp(client, alice):
    secret, codes = enable_totp(client)
    client.post("/logout")
    assert SESSION_KEY not in client.session
    return secret, codes


def test_enabling_totp_stores_an_authenticator_and_recovery_codes(client, alice):
    secret, codes = enable_totp(client)
    types = set(Authenticator.objects.filter(user=alice).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes"}
    assert Authenticator.objects.get(user=alice, type="totp").data["secret"] == secret
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{8}", code) for code in codes)
    index = client.get("/accounts/2fa/")
    assert index.status_code == 200 and b'class="card account-card"' in index.content


def test_a_wrong_code_does_not_enable_totp(client, alice):
    log_in(client)
    page = reauthenticated_get(client, "/accounts/2fa/totp/activate/")
    secret = re.search(rb'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content).group(1).decode()
    response = client.post("/accounts/2fa/totp/activate/", {"code": other_code(totp(secret))})
    assert response.status_code == 200 and b"Incorrect code" in response.content
    assert not Authenticator.objects.filter(user=alice).exists()


def test_with_totp_the_password_alone_does_not_log_in_a_code_does(client, alice, alice_with_totp):
    secret, _ = alice_with_totp
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert SESSION_KEY not in client.session
    assert client.get("/dashboard/keys").status_code == 302
    step = client.get("/accounts/2fa/authenticate/")
    assert step.status_code == 200 and b'class="auth-card"' in step.content
    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_recovery_code_logs_in_once(client, alice, alice_with_totp):
    _, codes = alice_with_totp
    log_in(client)
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(alice.pk)
    client.post("/logout")
    log_in(client)
    again = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert again.status_code == 200 and SESSION_KEY not in client.session
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[1]}).status_code == 302


def test_guessing_codes_is_limited_even_the_right_one_then_waits(client, alice, alice_with_totp):
    secret, _ = alice_with_totp
    log_in(client)
    wrong = other_code(totp(secret))
    for _ in range(5):
        response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
        assert response.status_code == 200 and b"Incorrect code" in response.content
    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert response.status_code == 200 and b"Too many failed login attempts" in response.content
    assert SESSION_KEY not in client.session


def test_the_admin_login_asks_for_the_second_factor_too(client, alice, alice_with_totp):
    secret, _ = alice_with_totp
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    response = client.post(
        "/login?next=/admin/", {"login": "alice@example.com", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_passkey_pages_load_their_script_from_files_only(client, alice):
    log_in(client)
    page = reauthenticated_get(client, "/accounts/2fa/webauthn/add/")
    body = page.content.decode()
    assert "mfa/js/webauthn.js" in body
    # Every <script> is either a file or inert JSON: nothing for the CSP to block.
    for attrs in re.findall(r"<script([^>]*)>", body):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert "style=" not in body and " onclick=" not in body
