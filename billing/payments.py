"""Buying credits and changing plans through a payment provider.

Two providers sit behind one seam: `manual` (the default: completes at once,
for self-hosting and development) and `stripe` (Checkout Sessions, completed by
Stripe's signed webhook), chosen by whether STRIPE_SECRET_KEY is set. A payment
is completed exactly once whatever replays arrive: the pending → completed
transition is one conditional UPDATE, and the purchase's ledger row is unique
per payment.
"""

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import ledger, plans
from billing.models import CreditPack, LedgerEntry, Payment, Plan

STRIPE_API = "https://api.stripe.com/v1"
STRIPE_SIGNATURE_TOLERANCE = 300  # seconds, as Stripe's own libraries use


class PaymentError(Exception):
    """The provider refused or could not be reached; nothing was charged or granted."""


class InvalidStripeSignature(Exception):
    pass


@dataclass(frozen=True)
class Checkout:
    payment: Payment | None
    redirect_url: str | None  # where to send the buyer; None when already done


def buy_pack(user, *, pack: CreditPack, success_url: str = "", cancel_url: str = "") -> Checkout:
    """Start buying a credit pack; with the manual provider the credits arrive at once."""
    account = ledger.open_account(user)
    payment = Payment.objects.create(
        account=account, kind=Payment.Kind.PACK, pack=pack, provider=provider_name(), amount_cents=pack.price_cents
    )
    return _start(payment, f"{pack.name} for Imagior", success_url, cancel_url)


def request_plan_change(user, *, plan: Plan, success_url: str = "", cancel_url: str = "") -> Checkout:
    """Change plan: downgrades (taking effect next period) need no payment; upgrades go through the provider."""
    account = ledger.open_account(user)
    if plan.monthly_credits <= account.plan.monthly_credits or plan.price_cents == 0:
        plans.change_plan(user, plan=plan)
        return Checkout(payment=None, redirect_url=None)
    payment = Payment.objects.create(
        account=account, kind=Payment.Kind.PLAN, plan=plan, provider=provider_name(), amount_cents=plan.price_cents
    )
    return _start(payment, f"Imagior {plan.name} plan, one month", success_url, cancel_url)


def provider_name() -> str:
    return "stripe" if settings.STRIPE_SECRET_KEY else "manual"


def _start(payment: Payment, description: str, success_url: str, cancel_url: str) -> Checkout:
    if payment.provider == "manual":
        complete_payment(payment)
        payment.refresh_from_db()
        return Checkout(payment=payment, redirect_url=None)
    session = stripe_request(
        "checkout/sessions",
        {
            "mode": "payment",
            "success_url": success_url or settings.PUBLIC_BASE_URL + "/",
            "cancel_url": cancel_url or settings.PUBLIC_BASE_URL + "/",
            "client_reference_id": payment.public_id,
            "customer_email": payment.account.user.email,
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": str(payment.amount_cents),
            "line_items[0][price_data][product_data][name]": description,
            "metadata[payment]": payment.public_id,
        },
        idempotency_key=payment.public_id,
    )
    payment.provider_reference = session["id"]
    payment.save(update_fields=["provider_reference"])
    return Checkout(payment=payment, redirect_url=session["url"])


def complete_payment(payment: Payment) -> bool:
    """Grant what was paid for, once. Returns False when it was completed already."""
    with transaction.atomic():
        claimed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.COMPLETED, completed_at=timezone.now()
        )
        if not claimed:
            return False
        account, user = payment.account, payment.account.user
        if payment.kind == Payment.Kind.PACK:
            ledger.add_carryover_credits(
                account,
                payment.pack.credits,
                kind=LedgerEntry.Kind.PURCHASE,
                reason=f"Bought {payment.pack.name} ({payment.provider})",
                reference=payment.public_id,
            )
        else:
            plans.change_plan(user, plan=payment.plan)
    return True


# --- Stripe -------------------------------------------------------------------------


def stripe_request(path: str, form: dict, *, idempotency_key: str) -> dict:
    """POST to Stripe's API (the outside world: tests replace this with recorded answers)."""
    request = urllib.request.Request(  # noqa: S310 (a fixed https URL)
        f"{STRIPE_API}/{path}",
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}",
            "Idempotency-Key": idempotency_key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (fixed https URL)
            return json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise PaymentError("The payment provider could not be reached; nothing was charged.") from exc


def verify_stripe_signature(payload: bytes, header: str, *, now: float | None = None) -> dict:
    """The event in `payload` if `header` (Stripe-Signature) signs it with STRIPE_WEBHOOK_SECRET."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if not timestamps or not signatures or not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidStripeSignature("missing parts")
    try:
        timestamp = int(timestamps[0])
    except ValueError:
        raise InvalidStripeSignature("bad timestamp") from None
    if abs((now or time.time()) - timestamp) > STRIPE_SIGNATURE_TOLERANCE:
        raise InvalidStripeSignature("too old")
    signed = f"{timestamp}.".encode() + payload
    expected = hmac.new(settings.STRIPE_WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidStripeSignature("no matching signature")
    try:
        return json.loads(payload)
    except ValueError:
        raise InvalidStripeSignature("not JSON") from None


def handle_stripe_event(event: dict) -> bool:
    """Complete the payment a `checkout.session.completed` event is about; replays change nothing."""
    if event.get("type") != "checkout.session.completed":
        return False
    session = event.get("data", {}).get("object", {})
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return False
    payment = Payment.objects.filter(provider="stripe", provider_reference=session.get("id", "")).first()
    if payment is None:
        return False
    return complete_payment(payment)
