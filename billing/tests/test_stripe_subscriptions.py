"""Paid plans as Stripe subscriptions, through the `stripe` library against a local fake of Stripe's API,
with events signed as Stripe signs them and POSTed to our webhook."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client

from billing import plans
from billing.models import LedgerEntry, Payment, StripeEvent
from billing.tests.conftest import WEBHOOK_SECRET, account_of, deliver, sign
from conftest import assert_ledger_clean


def subscribe(client, fake, slug: str) -> list[dict]:
    """Through the billing page: confirm, go to Checkout; the buyer pays there. Stripe's events."""
    quote = client.get("/dashboard/billing/plan", {"plan": slug}).content.decode()
    charge = quote.split('name="charge" value="')[1].split('"')[0]
    response = client.post("/dashboard/billing/plan", {"plan": slug, "action": "start", "charge": charge})
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/")
    session_id = response["Location"].rsplit("/", 1)[1]
    return fake.pay_checkout(session_id)


def plan_refills(user) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account__user=user, kind="refill").exclude(reference="").order_by("id"))


def test_checkout_in_subscription_mode_then_invoice_paid_refills_once(fake_stripe, alice, alice_client):
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "pro"}).content.decode()
    assert '<dd data-testid="charge">$99</dd>' in confirm and "$99 until you cancel" in confirm
    events = subscribe(alice_client, fake_stripe, "pro")
    session = next(params for method, path, params in fake_stripe.requests if path == "/v1/checkout/sessions")
    assert session["mode"] == "subscription" and session["line_items"][0]["price"].startswith("price_")
    price = fake_stripe.prices[session["line_items"][0]["price"]]
    assert (price["lookup_key"], price["unit_amount"], price["recurring"]) == (
        "imagior_pro_monthly",
        9900,
        {"interval": "month"},
    )
    assert account_of(alice).plan.slug == "free", "nothing before Stripe says the invoice is paid"

    assert deliver(*events) == [200, 200, 200]
    account = account_of(alice)
    assert (account.plan.slug, account.balance) == ("pro", 10_000)
    payment = Payment.objects.get(account=account, provider="stripe")
    assert payment.receipt_url.startswith("https://invoice.stripe.com/i/in_")
    assert account.paid_until == payment.period_end == account.period_ends_at
    assert [entry.reference for entry in plan_refills(alice)] == [payment.public_id]
    page = alice_client.get("/dashboard/billing").content.decode()
    assert payment.receipt_url in page and "Manage card, invoices and cancellation on Stripe" in page

    # Stripe retries: the same events again, and signed again later, change nothing.
    assert deliver(*events) == [200, 200, 200]
    assert deliver(*events) == [200, 200, 200]
    assert account_of(alice).balance == 10_000 and len(plan_refills(alice)) == 1
    assert_ledger_clean()


def test_each_paid_renewal_refills_once_and_old_invoices_change_nothing(fake_stripe, alice, alice_client):
    first = subscribe(alice_client, fake_stripe, "starter")
    deliver(*first)
    ledger_rows = LedgerEntry.objects.count()
    second = fake_stripe.renew(_sub_id(fake_stripe))
    deliver(*second)
    assert len(plan_refills(alice)) == 2 and LedgerEntry.objects.count() == ledger_rows + 1
    account = account_of(alice)
    # The first period's invoice.paid, as a new event delivered late: older than what is paid.
    late = fake_stripe.event("invoice.paid", next(e for e in first if e["type"] == "invoice.paid")["data"]["object"])
    assert deliver(late) == [200]
    after = account_of(alice)
    assert (after.period_ends_at, after.balance) == (account.period_ends_at, account.balance)
    assert len(plan_refills(alice)) == 2
    assert_ledger_clean()


def _sub_id(fake) -> str:
    return next(iter(fake.subscriptions))


def test_a_failed_payment_falls_back_to_free_at_the_end_of_the_paid_period(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "business"))
    paid_end = account_of(alice).period_ends_at
    deliver(*fake_stripe.renew(_sub_id(fake_stripe), paid=False))
    account = account_of(alice)
    assert account.plan.slug == "business" and account.balance == 100_000, "the paid period is kept"
    assert account.pending_plan.slug == "free"
    assert plans.renew_due_periods(now=paid_end - timedelta(minutes=1)) == 0
    assert plans.renew_due_periods(now=paid_end + timedelta(minutes=1)) == 1
    account = account_of(alice)
    assert (account.plan.slug, account.balance) == ("free", 50)
    assert len(plan_refills(alice)) == 1
    assert_ledger_clean()


def test_a_renewing_subscription_waits_for_its_invoice_but_not_for_ever(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "starter"))
    paid_end = account_of(alice).period_ends_at
    assert plans.renew_due_periods(now=paid_end + timedelta(hours=1)) == 0, "Stripe's invoice is on its way"
    assert account_of(alice).plan.slug == "starter"
    assert plans.renew_due_periods(now=paid_end + plans.STRIPE_RENEWAL_GRACE) == 1
    assert account_of(alice).plan.slug == "free", "no invoice came: never an unpaid paid period"


def test_an_upgrade_charges_the_prorated_difference_and_grants_the_credit_difference_at_once(
    fake_stripe, alice, alice_client
):
    deliver(*subscribe(alice_client, fake_stripe, "starter"))
    fake_stripe.take_events()
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "pro"}).content.decode()
    charge = int(confirm.split('name="charge" value="')[1].split('"')[0])
    proration_date = confirm.split('name="proration_date" value="')[1].split('"')[0]
    assert 8000 * 0.95 < charge <= 8000, "about a whole period's difference: just subscribed"
    response = alice_client.post(
        "/dashboard/billing/plan",
        {"plan": "pro", "action": "upgrade", "charge": str(charge), "proration_date": proration_date},
    )
    assert response.status_code == 302
    update = [params for method, path, params in fake_stripe.requests if path.startswith("/v1/subscriptions/")][-1]
    assert (update["proration_behavior"], update["payment_behavior"]) == ("always_invoice", "error_if_incomplete")
    account = account_of(alice)
    assert (account.plan.slug, account.balance) == ("pro", 1000 + 9000)
    upgrade = LedgerEntry.objects.get(kind="upgrade")
    payment = Payment.objects.get(public_id=upgrade.reference)
    assert (upgrade.amount, payment.amount_cents, payment.from_plan.slug) == (9000, charge, "starter")
    # Stripe's own events about the same upgrade arrive later: nothing more.
    assert deliver(*fake_stripe.take_events()) == [200, 200]
    assert account_of(alice).balance == 10_000 and LedgerEntry.objects.filter(kind="upgrade").count() == 1
    assert_ledger_clean()


def test_a_declined_upgrade_changes_nothing(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "starter"))
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "pro"}).content.decode()
    charge = confirm.split('name="charge" value="')[1].split('"')[0]
    proration_date = confirm.split('name="proration_date" value="')[1].split('"')[0]
    fake_stripe.decline_next_payment = True
    response = alice_client.post(
        "/dashboard/billing/plan",
        {"plan": "pro", "action": "upgrade", "charge": charge, "proration_date": proration_date},
        follow=True,
    )
    assert b"The card was declined" in response.content
    assert account_of(alice).plan.slug == "starter" and account_of(alice).balance == 1000


def test_a_downgrade_applies_at_the_end_of_the_period(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "pro"))
    fake_stripe.take_events()
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "starter"}).content.decode()
    assert '<dd data-testid="charge">$0</dd>' in confirm
    alice_client.post("/dashboard/billing/plan", {"plan": "starter", "action": "downgrade", "charge": "0"})
    deliver(*fake_stripe.take_events())
    account = account_of(alice)
    assert (account.plan.slug, account.pending_plan.slug, account.balance) == ("pro", "starter", 10_000)
    assert fake_stripe.subscriptions[_sub_id(fake_stripe)]["items"]["data"][0]["price"]["unit_amount"] == 1900
    deliver(*fake_stripe.renew(_sub_id(fake_stripe)))
    account = account_of(alice)
    assert (account.plan.slug, account.pending_plan, account.balance) == ("starter", None, 1000)
    assert_ledger_clean()


def test_cancelling_keeps_the_paid_period_then_free(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "pro"))
    alice_client.post("/dashboard/billing/plan", {"plan": "free", "action": "to_free", "charge": "0"})
    assert fake_stripe.subscriptions[_sub_id(fake_stripe)]["cancel_at_period_end"] is True
    deliver(*fake_stripe.take_events())
    paid_end = account_of(alice).period_ends_at
    deliver(*fake_stripe.renew(_sub_id(fake_stripe)))  # Stripe ends it: customer.subscription.deleted
    assert account_of(alice).plan.slug == "pro"
    plans.renew_due_periods(now=paid_end + timedelta(minutes=1))
    assert (account_of(alice).plan.slug, account_of(alice).balance) == ("free", 50)
    assert len(plan_refills(alice)) == 1


def test_a_subscription_deleted_at_once_still_keeps_the_paid_period(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "pro"))
    deliver(*fake_stripe.cancel_now(_sub_id(fake_stripe)))
    account = account_of(alice)
    assert account.plan.slug == "pro" and account.pending_plan.slug == "free"
    plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1))
    assert account_of(alice).plan.slug == "free"


def test_a_credit_pack_is_a_one_off_checkout_credited_once(fake_stripe, alice, alice_client):
    form = {"pack": "pack-2500", "action": "pack", "charge": "3900"}
    response = alice_client.post("/dashboard/billing/credits", form)
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[1]
    assert fake_stripe.sessions[session_id]["mode"] == "payment"
    assert account_of(alice).balance == 50
    events = fake_stripe.pay_checkout(session_id)
    deliver(*events)
    deliver(*events)
    account = account_of(alice)
    assert (account.balance, account.carryover_credits) == (2550, 2500)
    payment = Payment.objects.get(account=account)
    assert payment.status == "completed" and payment.receipt_url.startswith("https://invoice.stripe.com/")
    assert_ledger_clean()


def test_the_customer_portal_is_one_click_away(fake_stripe, alice, alice_client):
    deliver(*subscribe(alice_client, fake_stripe, "starter"))
    page = alice_client.get("/dashboard/billing")
    assert "https://billing.stripe.com" in page["Content-Security-Policy"]
    response = alice_client.post("/dashboard/billing/portal")
    assert response.status_code == 302 and response["Location"].startswith("https://billing.stripe.com/p/session/")
    portal = next(params for method, path, params in fake_stripe.requests if path == "/v1/billing_portal/sessions")
    assert portal["customer"] == account_of(alice).stripe_customer_id


@pytest.mark.parametrize(
    "tamper",
    [
        lambda payload: (payload, sign(payload).replace("v1=", "v1=00")),
        lambda payload: (payload.replace(b"paid", b"PAID"), sign(payload)),
        lambda payload: (payload, sign(payload, secret="whsec_wrong")),
        lambda payload: (payload, sign(payload, timestamp=int(time.time()) - 3600)),
        lambda payload: (payload, ""),
    ],
)
def test_a_bad_signature_is_400_and_changes_nothing(fake_stripe, alice, alice_client, tamper):
    events = subscribe(alice_client, fake_stripe, "business")
    invoice_paid = next(event for event in events if event["type"] == "invoice.paid")
    payload, header = tamper(json.dumps(invoice_paid).encode())
    response = Client().post(
        "/billing/stripe/webhook", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert account_of(alice).plan.slug == "free" and not StripeEvent.objects.exists()
    assert WEBHOOK_SECRET  # the right secret was configured all along


def test_deleting_an_account_cancels_its_subscription_at_stripe_and_keeps_its_payments(
    fake_stripe, alice, alice_client
):
    assert deliver(*subscribe(alice_client, fake_stripe, "pro")) == [200, 200, 200]
    payment = Payment.objects.get(account__user=alice, provider="stripe")
    (stripe_id,) = fake_stripe.subscriptions
    response = alice_client.post(
        "/dashboard/profile/delete", {"email": "alice@example.com", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert fake_stripe.subscriptions[stripe_id]["status"] == "canceled"
    assert ("DELETE", f"/v1/subscriptions/{stripe_id}") in [(m, p) for m, p, _ in fake_stripe.requests]
    payment.refresh_from_db()
    assert payment.account is None and payment.former_account.startswith("deleted-account-")
    assert payment.provider_reference and payment.amount_cents == 9900  # the books still add up
