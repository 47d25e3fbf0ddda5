"""Billing fixtures: logged-in dashboard clients, a staff client for admin, the payment providers."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from billing.models import BillingAccount


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def staff_client(db):
    """A staff user in Django admin (a superuser: every permission)."""
    staff = User.objects.create_superuser("staff@example.com", "admin-pass-123")
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def manual(settings):
    settings.PAYMENT_PROVIDER = "manual"


@pytest.fixture
def no_payments(settings):
    settings.PAYMENT_PROVIDER = ""


def account_of(user) -> BillingAccount:
    return BillingAccount.objects.select_related("plan", "pending_plan").get(user=user)


def assert_books_balance() -> None:
    """`manage.py check_ledger` finds no drift."""
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().startswith("OK:"), out.getvalue()
