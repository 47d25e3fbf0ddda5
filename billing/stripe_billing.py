"""Stripe through its own Python library: paid plans as subscriptions, credit packs as one-off
Checkout payments, and the webhook events that move money (docs/billing.md).

Money moves only on Stripe's signed events or on a Stripe answer that says an
invoice is paid: `invoice.paid` starts a period and refills the plan's credits
once per invoice; an upgrade's proration invoice grants the difference once.
Each event is handled once (its id is stored in the same transaction), and an
invoice for a period that ends no later than what is paid already changes
nothing, so replayed and out-of-order events are harmless.
"""

import json
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from billing import plans
from billing.models import BillingAccount, Payment, Plan, StripeEvent, Subscription

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds, Stripe's default
LIVE_STATUSES = ("active", "trialing", "past_due")  # a subscription that can still be changed


class StripeUnavailable(Exception):
    """Stripe refused or could not be reached; nothing was charged or granted."""


def client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


def _call(operation, *args, **kwargs):
    """One API call; Stripe's errors become StripeUnavailable with its message."""
    try:
        return operation(*args, **kwargs)
    except stripe.CardError as exc:
        raise StripeUnavailable(f"The card was declined: {exc.user_message or exc}. Nothing changed.") from exc
    except stripe.StripeError as exc:
        log.warning("Stripe call failed: %s", exc)
        raise StripeUnavailable("The payment provider could not be reached; nothing was charged.") from exc


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


# --- Objects we keep at Stripe: prices and customers -------------------------------------


def lookup_key(plan: Plan) -> str:
    return f"imagior_{plan.slug}_monthly"


def price_for(plan: Plan) -> str:
    """The monthly Stripe Price of `plan`: the one named on the plan, or found (or made) by its lookup key."""
    if plan.stripe_price_id:
        return plan.stripe_price_id
    prices = client().v1.prices
    found = _call(prices.list, params={"lookup_keys": [lookup_key(plan)], "active": True, "limit": 1})
    matching = [price for price in found.data if price.unit_amount == plan.price_cents]
    if matching:
        price_id = matching[0].id
    else:
        price_id = _call(
            prices.create,
            params={
                "currency": "usd",
                "unit_amount": plan.price_cents,
                "recurring": {"interval": "month"},
                "lookup_key": lookup_key(plan),
                "transfer_lookup_key": True,
                "product_data": {"name": f"Imagior {plan.name}"},
                "metadata": {"plan": plan.slug},
            },
        ).id
    Plan.objects.filter(pk=plan.pk).update(stripe_price_id=price_id)
    plan.stripe_price_id = price_id
    return price_id


def plan_for_price(price_id: str) -> Plan | None:
    """The plan a Stripe Price bills: by the id stored on the plan, else by the price's metadata."""
    plan = Plan.objects.filter(stripe_price_id=price_id).first()
    if plan or not price_id:
        return plan
    price = _call(client().v1.prices.retrieve, price_id)
    return Plan.objects.filter(slug=(price.metadata or {}).get("plan", "")).first()


def customer_for(account: BillingAccount) -> str:
    if account.stripe_customer_id:
        return account.stripe_customer_id
    customer = _call(
        client().v1.customers.create,
        params={"email": account.user.email, "metadata": {"account": str(account.pk)}},
        options={"idempotency_key": f"imagior-customer-{account.pk}"},
    )
    BillingAccount.objects.filter(pk=account.pk, stripe_customer_id="").update(stripe_customer_id=customer.id)
    account.refresh_from_db(fields=["stripe_customer_id"])
    return account.stripe_customer_id


def live_subscription(account: BillingAccount) -> Subscription | None:
    return account.subscriptions.filter(status__in=LIVE_STATUSES).order_by("-id").first()


def cancel_now(account: BillingAccount) -> None:
    """Cancel the account's live subscriptions at Stripe at once (the account is being
    deleted: nobody must be billed for it again). StripeUnavailable stops the deletion."""
    for subscription in account.subscriptions.filter(status__in=LIVE_STATUSES):
        _call(client().v1.subscriptions.cancel, subscription.stripe_id)


# --- What the user starts from the billing page ------------------------------------------


def checkout_pack(payment: Payment, *, success_url: str, cancel_url: str) -> str:
    """A one-off Checkout (payment mode) for a credit pack; returns where to send the buyer."""
    account = payment.account
    session = _call(
        client().v1.checkout.sessions.create,
        params={
            "mode": "payment",
            "customer": customer_for(account),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": payment.public_id,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": payment.amount_cents,
                        "product_data": {"name": f"{payment.pack.name} for Imagior"},
                    },
                }
            ],
            "metadata": {"payment": payment.public_id},
            # Stripe then makes an invoice, whose hosted page is the receipt.
            "invoice_creation": {"enabled": True, "invoice_data": {"metadata": {"payment": payment.public_id}}},
        },
        options={"idempotency_key": payment.public_id},
    )
    payment.provider_reference = session.id
    payment.save(update_fields=["provider_reference"])
    return session.url


def checkout_subscription(account: BillingAccount, plan: Plan, *, success_url: str, cancel_url: str) -> str:
    """Checkout in subscription mode for a paid plan; periods start when its invoices are paid."""
    stale = live_subscription(account)
    if stale:  # unpaid, or on a period already over: end it so the new one is the only one billed
        _call(client().v1.subscriptions.cancel, stale.stripe_id)
    session = _call(
        client().v1.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": customer_for(account),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(account.pk),
            "line_items": [{"price": price_for(plan), "quantity": 1}],
            "subscription_data": {"metadata": {"account": str(account.pk), "plan": plan.slug}},
            "metadata": {"account": str(account.pk), "plan": plan.slug},
        },
    )
    return session.url


def portal_url(account: BillingAccount, *, return_url: str) -> str:
    """Stripe's hosted customer portal: card, invoices, cancellation."""
    session = _call(
        client().v1.billing_portal.sessions.create,
        params={"customer": customer_for(account), "return_url": return_url},
    )
    return session.url


def _subscription_item(subscription: Subscription):
    remote = _call(client().v1.subscriptions.retrieve, subscription.stripe_id)
    return remote["items"]["data"][0]


def preview_upgrade(account: BillingAccount, plan: Plan, *, proration_date: int) -> int:
    """What Stripe will charge now (in cents) to move the subscription to `plan` from `proration_date`."""
    subscription = live_subscription(account)
    item = _subscription_item(subscription)
    preview = _call(
        client().v1.invoices.create_preview,
        params={
            "customer": customer_for(account),
            "subscription": subscription.stripe_id,
            "subscription_details": {
                "items": [{"id": item["id"], "price": price_for(plan)}],
                "proration_behavior": "always_invoice",
                "proration_date": proration_date,
            },
        },
    )
    return max(preview.amount_due, 0)


def upgrade(account: BillingAccount, plan: Plan, *, proration_date: int) -> Payment | None:
    """Move the subscription to a higher plan now; Stripe invoices and charges the prorated difference
    at once (or refuses, changing nothing), and the difference in credits is granted for that invoice."""
    subscription = live_subscription(account)
    item = _subscription_item(subscription)
    subscriptions = client().v1.subscriptions
    if item["price"]["id"] != price_for(account.plan):
        # A downgrade was scheduled: go back to the paid price first, so the proration counts from it.
        _call(
            subscriptions.update,
            subscription.stripe_id,
            params={"items": [{"id": item["id"], "price": price_for(account.plan)}], "proration_behavior": "none"},
        )
    updated = _call(
        subscriptions.update,
        subscription.stripe_id,
        params={
            "items": [{"id": item["id"], "price": price_for(plan)}],
            "proration_behavior": "always_invoice",
            "proration_date": proration_date,
            "payment_behavior": "error_if_incomplete",
            "cancel_at_period_end": False,
            "metadata": {"plan": plan.slug},
            "expand": ["latest_invoice"],
        },
    )
    invoice = updated.latest_invoice
    if not invoice or invoice["status"] != "paid":
        return None  # granted when Stripe's invoice.paid arrives
    return record_invoice(_as_dict(invoice), account=account)


def schedule_change(account: BillingAccount, plan: Plan) -> None:
    """From the end of the period: a lower paid plan (the next invoices bill it) or a free plan
    (the subscription is cancelled then). Choosing the current plan undoes either."""
    subscription = live_subscription(account)
    if subscription is None:
        return
    subscriptions = client().v1.subscriptions
    if not plan.is_paid:
        _call(subscriptions.update, subscription.stripe_id, params={"cancel_at_period_end": True})
        return
    item = _subscription_item(subscription)
    _call(
        subscriptions.update,
        subscription.stripe_id,
        params={
            "items": [{"id": item["id"], "price": price_for(plan)}],
            "proration_behavior": "none",
            "cancel_at_period_end": False,
            "metadata": {"plan": plan.slug},
        },
    )


# --- Webhook events -----------------------------------------------------------------------


class InvalidSignature(Exception):
    pass


def verify_event(payload: bytes, header: str) -> dict:
    """The event in `payload` if Stripe signed it (Stripe-Signature, STRIPE_WEBHOOK_SECRET, 5 minutes)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidSignature("no webhook secret")
    try:
        stripe.Webhook.construct_event(payload, header, settings.STRIPE_WEBHOOK_SECRET, SIGNATURE_TOLERANCE)
        return json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidSignature(str(exc)) from None


def handle_event(event: dict) -> bool:
    """Apply one verified event, once: False when it was handled before or is of no interest."""
    handler = HANDLERS.get(event.get("type", ""))
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event["id"], type=event["type"], created=event.get("created", 0))
        except IntegrityError:
            return False  # a replay
        if handler:
            handler(event["data"]["object"], event)
    return handler is not None


def _account_for(customer_id: str | None) -> BillingAccount | None:
    if not customer_id:
        return None
    return BillingAccount.objects.filter(stripe_customer_id=customer_id).first()


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def on_checkout_completed(session: dict, event: dict) -> None:
    if session.get("mode") == "subscription":
        account = _account_for(session.get("customer"))
        if account and session.get("subscription"):
            _subscription_row(account, session["subscription"])
        return
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return
    payment = Payment.objects.filter(provider="stripe", provider_reference=session.get("id") or "-").first()
    if payment:
        from billing import payments  # payments imports this module

        payments.complete_payment(payment, by="stripe")


def _subscription_row(account: BillingAccount, stripe_id: str) -> Subscription:
    row, _ = Subscription.objects.get_or_create(stripe_id=stripe_id, defaults={"account": account, "status": "active"})
    return row


def _subscription_of(invoice: dict) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription")


def _line_price(line: dict) -> str:
    pricing = line.get("pricing") or {}
    price = (pricing.get("price_details") or {}).get("price") or line.get("price") or ""
    return price.get("id", "") if isinstance(price, dict) else price


def _is_proration(line: dict) -> bool:
    details = (line.get("parent") or {}).get("subscription_item_details") or {}
    return bool(details.get("proration", line.get("proration", False)))


def on_invoice_paid(invoice: dict, event: dict) -> None:
    account = _account_for(invoice.get("customer"))
    if account is None:
        return
    if not _subscription_of(invoice):
        # A pack's Checkout invoice: its hosted page is the pack payment's receipt.
        reference = (invoice.get("metadata") or {}).get("payment", "")
        if reference and invoice.get("hosted_invoice_url"):
            Payment.objects.filter(public_id=reference, account=account).update(
                receipt_url=invoice["hosted_invoice_url"]
            )
        return
    record_invoice(invoice, account=account)


def record_invoice(invoice: dict, *, account: BillingAccount) -> Payment | None:
    """A paid subscription invoice: the payment row (the receipt), then its period or upgrade, once."""
    now = timezone.now()
    lines = (invoice.get("lines") or {}).get("data", [])
    with transaction.atomic():
        account = plans.lock_account(account.pk)
        if Payment.objects.filter(provider="stripe", provider_reference=invoice["id"]).exists():
            return None  # recorded already (by the upgrade's answer, or an earlier event)
        subscription = _subscription_row(account, _subscription_of(invoice))
        payment = Payment(
            account=account,
            kind=Payment.Kind.PLAN,
            provider=Payment.Provider.STRIPE,
            provider_reference=invoice["id"],
            amount_cents=invoice.get("amount_paid") or 0,
            status=Payment.Status.COMPLETED,
            completed_at=now,
            completed_by="stripe",
            receipt_url=invoice.get("hosted_invoice_url") or "",
        )
        # The payment row is saved below in every branch that keeps it; its event goes with it.
        if invoice.get("billing_reason") == "subscription_update":
            charged = [line for line in lines if _is_proration(line) and line.get("amount", 0) > 0]
            target = plan_for_price(_line_price(charged[-1])) if charged else None
            payment.plan = target or account.plan
            payment.period_start, payment.period_end = account.period_started_at, account.period_ends_at
            if target and plans.in_paid_period(account, now) and plans.is_upgrade(account.plan, target):
                payment.from_plan = account.plan
                payment.save()
                _audit_payment(account, payment)
                plans.apply_upgrade(account, payment, created_by="stripe")
            else:
                payment.save()  # an old upgrade (its period is over or was replaced): a receipt only
                _audit_payment(account, payment)
            return payment
        periodic = [line for line in lines if not _is_proration(line)] or lines
        if not periodic:
            return None
        line = periodic[0]
        plan = plan_for_price(_line_price(line))
        if plan is None:
            log.error("Stripe invoice %s bills an unknown price", invoice["id"])
            return None
        payment.plan = plan
        payment.period_start, payment.period_end = at(line["period"]["start"]), at(line["period"]["end"])
        payment.save()
        _audit_payment(account, payment)
        if subscription.paid_until and payment.period_end <= subscription.paid_until:
            return payment  # an older period of this subscription than one paid: out of order, a receipt only
        plans.start_paid_period(account, payment, created_by="stripe")
        Subscription.objects.filter(pk=subscription.pk).update(plan=plan, paid_until=payment.period_end)
        return payment


def _audit_payment(account: BillingAccount, payment: Payment) -> None:
    audit.record_for_owner(account.user, None, "payment.completed", payment.public_id, payment.audit_details())


def on_payment_failed(invoice: dict, event: dict) -> None:
    """The card was declined: the subscription will not pay the next period, so the account falls
    back to Free when the paid one ends (now, if it has ended already)."""
    stripe_id = _subscription_of(invoice)
    if stripe_id:
        Subscription.objects.filter(stripe_id=stripe_id, last_event_created__lte=event.get("created", 0)).update(
            status="past_due", last_event_created=event.get("created", 0)
        )
        _renew_if_due(stripe_id)


def on_subscription_changed(sub: dict, event: dict) -> None:
    """Status, cancellation at period end and the plan billed next; credits never move here."""
    account = _account_for(sub.get("customer"))
    if account is None:
        return
    row = _subscription_row(account, sub["id"])
    created = event.get("created", 0)
    items = (sub.get("items") or {}).get("data", [])
    period_end = at(items[0]["current_period_end"]) if items and items[0].get("current_period_end") else None
    older = created < row.last_event_created or (
        period_end and row.current_period_end and period_end < row.current_period_end
    )
    if older and event["type"] != "customer.subscription.deleted":
        return  # an event from before the state we have
    price = items[0].get("price") if items else None
    price_id = price.get("id", "") if isinstance(price, dict) else (price or "")
    row.plan = plan_for_price(price_id) if price_id else row.plan
    row.status = "canceled" if event["type"] == "customer.subscription.deleted" else sub.get("status", row.status)
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    row.current_period_end = max(filter(None, [period_end, row.current_period_end]), default=None)
    row.last_event_created = max(created, row.last_event_created)
    row.save()
    # What the account moves to when the paid period ends (shown on the billing page).
    with transaction.atomic():
        account = plans.lock_account(account.pk)
        if not row.renews:
            pending = Plan.default() if account.plan.is_paid else None
        elif row.plan and row.plan.pk != account.plan_id and not plans.is_upgrade(account.plan, row.plan):
            pending = row.plan
        else:
            pending = None
        if pending != account.pending_plan:  # changed in Stripe's portal, or by our own schedule_change
            plans.audit_plan(account, "plan.scheduled", pending=pending, by="stripe")
        account.pending_plan = pending
        account.save(update_fields=["pending_plan"])
    _renew_if_due(sub["id"])


def _renew_if_due(stripe_id: str) -> None:
    """A subscription that stopped renewing after its paid period ended: move the account to Free now."""
    row = Subscription.objects.filter(stripe_id=stripe_id).first()
    if row and not row.renews:
        plans.renew_period(row.account_id, now=timezone.now())


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_payment_failed,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
}
