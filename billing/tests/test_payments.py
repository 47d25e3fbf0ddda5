import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from billing import payments
from billing.models import BillingAccount, CreditPack, LedgerEntry, Payment, Plan

WEBHOOK_SECRET = "whsec_test_stripe"
# Shaped like Stripe's answer to POST /v1/checkout/sessions (trimmed).
RECORDED_SESSION = {
    "id": "cs_test_a1B2c3D4",
    "object": "checkout.session",
    "mode": "payment",
    "payment_status": "unpaid",
    "status": "open",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4",
}


@pytest.fixture
def stripe(settings, monkeypatch):
    """Stripe enabled, its API replaced by the recorded answer (the outside world)."""
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    calls = []

    def fake_request(path, form, *, idempotency_key):
        calls.append((path, form, idempotency_key))
        return RECORDED_SESSION

    monkeypatch.setattr(payments, "stripe_request", fake_request)
    return calls


def signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """Sign like Stripe: v1 = HMAC-SHA256(secret, f"{t}.{payload}")."""
    payload = json.dumps(event).encode()
    timestamp = timestamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


def completed_event(session_id: str = "cs_test_a1B2c3D4") -> dict:
    return {
        "id": "evt_1",
        "type": "checkout.session.completed",
        "data": {"object": {"id": session_id, "object": "checkout.session", "payment_status": "paid"}},
    }


def post_webhook(payload: bytes, header: str):
    return Client().post(
        "/billing/stripe/webhook", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def balance_parts(user) -> tuple[int, int]:
    account = BillingAccount.objects.get(user=user)
    return account.balance, account.carryover_credits


def buy_pack(user, slug: str):
    return payments.confirm(user, payments.quote_pack(user, pack=CreditPack.objects.get(slug=slug)))


def choose_plan(user, slug: str):
    return payments.confirm(user, payments.quote_plan(user, plan=Plan.objects.get(slug=slug)))


@pytest.mark.django_db
def test_stripe_checkout_then_signed_webhook_credits_once(alice, stripe):
    checkout = buy_pack(alice, "pack-2500")
    assert checkout.redirect_url == RECORDED_SESSION["url"]
    path, form, idempotency_key = stripe[0]
    assert path == "checkout/sessions" and form["line_items[0][price_data][unit_amount]"] == "3900"
    assert idempotency_key == checkout.payment.public_id
    assert balance_parts(alice) == (50, 0), "nothing before Stripe says it is paid"

    payload, header = signed(completed_event())
    assert post_webhook(payload, header).status_code == 200
    assert post_webhook(payload, header).status_code == 200  # Stripe retries: a replay
    payload, header = signed(completed_event())  # the same event, signed again later
    assert post_webhook(payload, header).status_code == 200
    assert balance_parts(alice) == (2550, 2500)
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1
    assert Payment.objects.get().status == "completed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda payload, header: (payload, header.replace("v1=", "v1=00")),
        lambda payload, header: (payload.replace(b"paid", b"PAID"), header),
        lambda payload, header: signed(json.loads(payload), secret="whsec_wrong"),
        lambda payload, header: signed(json.loads(payload), timestamp=int(time.time()) - 3600),
        lambda payload, header: (payload, ""),
    ],
)
def test_unsigned_forged_or_stale_webhooks_grant_nothing(alice, stripe, tamper):
    buy_pack(alice, "pack-500")
    payload, header = tamper(*signed(completed_event()))
    assert post_webhook(payload, header).status_code == 400
    assert balance_parts(alice) == (50, 0)


@pytest.mark.django_db
def test_a_plan_upgrade_through_stripe_applies_when_paid(alice, stripe):
    checkout = choose_plan(alice, "pro")
    assert checkout.redirect_url
    assert BillingAccount.objects.get(user=alice).plan.slug == "free"
    post_webhook(*signed(completed_event()))
    account = BillingAccount.objects.get(user=alice)
    assert account.plan.slug == "pro" and account.balance == 10_000


@pytest.mark.django_db
def test_a_downgrade_needs_no_payment(alice, stripe):
    choose_plan(alice, "starter")
    post_webhook(*signed(completed_event()))
    checkout = choose_plan(alice, "free")
    assert checkout.payment is None and checkout.redirect_url is None
    assert len(stripe) == 1
    assert BillingAccount.objects.get(user=alice).pending_plan.slug == "free"


@pytest.mark.django_db
def test_an_unreachable_provider_charges_and_grants_nothing(alice, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"

    def unreachable(*args, **kwargs):
        raise payments.PaymentError("The payment provider could not be reached; nothing was charged.")

    payments.stripe_request, original = unreachable, payments.stripe_request
    try:
        with pytest.raises(payments.PaymentError):
            buy_pack(alice, "pack-500")
    finally:
        payments.stripe_request = original
    assert balance_parts(alice) == (50, 0)
