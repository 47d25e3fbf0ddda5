"""Shared fixtures: named users (alice owns things, bob is another account), their keys and API clients."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from billing import ledger
from billing.models import BillingAccount


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    # The manifest storage needs collectstatic; tests serve plain static files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PUBLIC_BASE_URL = "https://img.example.test"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
    # Tasks run inline in unit tests; the end-to-end tests use the real worker.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": settings.TASKS["default"]["QUEUES"],
        }
    }


def make_user(email: str, credits: int | None = None) -> User:
    user = User.objects.create_user(email, "correct horse battery staple")
    user.mark_email_verified()  # like every account before allauth (the data migration)
    ledger.open_account(user)
    if credits is not None:
        ledger.set_balance(user, balance=credits, reason="test setup")
    return user


def balance(user) -> int:
    """The user's credit balance as stored now."""
    return BillingAccount.objects.get(user=user).balance


def assert_ledger_clean() -> None:
    """`manage.py check_ledger` finds no drift: balances, counters and rollups match the ledger."""
    out = StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on any drift
    assert out.getvalue().startswith("OK:"), out.getvalue()


def client_for(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def alice(db):
    return make_user("alice@example.com")


@pytest.fixture
def bob(db):
    return make_user("bob@example.com")


@pytest.fixture
def alice_key(alice):
    return ApiKey.issue(alice, name="alice live")


@pytest.fixture
def alice_test_key(alice):
    return ApiKey.issue(alice, name="alice test", mode="test")


@pytest.fixture
def bob_key(bob):
    return ApiKey.issue(bob, name="bob live")


@pytest.fixture
def api(alice_key):
    """An API client authenticated with alice's live key."""
    return client_for(alice_key[1])


@pytest.fixture
def sandbox_api(alice_test_key):
    return client_for(alice_test_key[1])


@pytest.fixture
def bob_api(bob_key):
    return client_for(bob_key[1])


# A small card: a red square and a line of text on white.
BOX_AND_TITLE = {
    "width": 120,
    "height": 80,
    "background": "#ffffff",
    "elements": [
        {"name": "box", "type": "rect", "x": 10, "y": 10, "width": 50, "height": 50, "fill": "#ff0000"},
        {"name": "title", "type": "text", "x": 0, "y": 60, "width": 120, "height": 20, "text": "Hi"},
    ],
}


@pytest.fixture
def small_card(api):
    """BOX_AND_TITLE saved as alice's template (the API's answer)."""
    return api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    """The dashboard as alice: a browser-like client with her session (the `client` fixture stays anonymous)."""
    return logged_in(alice)


@pytest.fixture
def bob_client(bob):
    return logged_in(bob)


@pytest.fixture
def staff_client(db):
    """A superuser in Django admin."""
    return logged_in(User.objects.create_superuser("staff@example.com", "admin-pass-123"))


@contextlib.contextmanager
def serving(served: dict[str, tuple[str, bytes]]):
    """A loopback HTTP server answering `served` ({path: (content type, body)}, 404 otherwise),
    for remote pictures; yields (its base URL, the paths asked for). The fetcher's cache is
    cleared around it, so a test sees its own server's answers."""
    from lib import fetch as fetcher

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            content_type, body = served.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in served else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetcher.clear_cache()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        fetcher.clear_cache()
