"""Billing fixtures: logged-in dashboard clients, a staff client for admin, the payment providers."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from billing.models import BillingAccount


@pytest.fixture
def manual(settings):
    settings.PAYMENT_PROVIDER = "manual"


@pytest.fixture
def no_payments(settings):
    settings.PAYMENT_PROVIDER = ""


def account_of(user) -> BillingAccount:
    return BillingAccount.objects.select_related("plan", "pending_plan").get(user=user)


WEBHOOK_SECRET = "whsec_test_fake_stripe"


@pytest.fixture
def fake_stripe(settings):
    """Stripe configured, its API (through the `stripe` library) answered by a local fake."""
    from billing.tests.fake_stripe import FakeStripe

    with FakeStripe() as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        settings.STRIPE_SECRET_KEY = "sk_test_fake"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature exactly as Stripe makes it: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(*events: dict) -> list[int]:
    """POST each event to our webhook endpoint, signed; the answers' status codes."""
    statuses = []
    for event in events:
        payload = json.dumps(event).encode()
        response = Client().post(
            "/billing/stripe/webhook",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload),
        )
        statuses.append(response.status_code)
    return statuses
