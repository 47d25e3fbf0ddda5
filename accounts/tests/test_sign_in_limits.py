"""Sign-up, log-in, password reset and the admin's login are limited per client IP,
where the client IP follows TRUSTED_PROXY_COUNT like the API's (docs/accounts.md)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from accounts.models import User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def limits(settings):
    """Small limits, so a test reaches them in a few requests."""

    def set_limit(action: str, rate: str) -> None:
        settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, action: rate}

    return set_limit


def log_in(client, password="nope", **headers):  # noqa: S107 (a wrong password)
    return client.post("/login", {"login": "alice@example.com", "password": password}, **headers)


def test_login_attempts_are_limited_per_address(client, alice, limits, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    limits("login", "3/m/ip")
    for _ in range(3):
        assert log_in(client).status_code == 200
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"Too many attempts" in response.content
    assert SESSION_KEY not in client.session  # the right password did not get through


def test_behind_a_proxy_each_client_has_its_own_login_bucket(client, alice, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_RATE_LIMIT = "3/m"
    limits("login", "3/m/ip")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        assert log_in(client, **proxy, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert log_in(client, **proxy, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    # Another client behind the same proxy is not limited by the first one's attempts.
    other = log_in(client, PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302 and other["Location"] == "/dashboard/"


def test_a_client_cannot_escape_its_bucket_by_writing_x_forwarded_for(client, alice, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits("login", "3/m/ip")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        log_in(client, **proxy, HTTP_X_FORWARDED_FOR="203.0.113.1")
    # The proxy appends what it saw: addresses further left are the client's own words.
    forged = log_in(client, **proxy, HTTP_X_FORWARDED_FOR="192.0.2.50, 203.0.113.1")
    assert forged.status_code == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, alice, limits):
    limits("login", "3/m/ip")
    for n in range(3):
        log_in(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert log_in(client, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_sign_up_is_throttled_per_client_ip(client, db, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits("signup", "2/h/ip")
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    for n in range(2):
        response = client.post("/signup", {"email": f"bot{n}@example.com", "password1": PASSWORD}, **proxy)
        assert response.status_code == 302
        client.post("/logout")
    response = client.post("/signup", {"email": "bot9@example.com", "password1": PASSWORD}, **proxy)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert not User.objects.filter(email="bot9@example.com").exists()
    assert User.objects.count() == 2
    # Someone else behind the same proxy still signs up.
    response = client.post(
        "/signup",
        {"email": "ada@example.com", "password1": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 302 and User.objects.filter(email="ada@example.com").exists()


def test_password_reset_requests_are_limited_per_client_ip(client, alice, bob, limits):
    limits("reset_password", "2/m/ip")
    assert client.post("/password-reset/", {"email": "alice@example.com"}).status_code == 302
    assert client.post("/password-reset/", {"email": "bob@example.com"}).status_code == 302
    response = client.post("/password-reset/", {"email": "alice@example.com"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert len(mail.outbox) == 2


def test_the_admin_login_goes_through_the_limited_site_login(client, alice, limits, settings):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    settings.LOGIN_RATE_LIMIT = "3/m"
    limits("login", "3/m/ip")
    # Django's own admin form checked passwords with no limit; now it checks none.
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "alice@example.com", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert SESSION_KEY not in client.session
    for _ in range(3):
        log_in(client)
    assert log_in(client, PASSWORD).status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_staff_user_reaches_the_admin_after_the_site_login(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302
    response = client.post(page["Location"], {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
