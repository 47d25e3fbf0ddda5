"""The manual provider: a purchase is a pending payment; only staff marking it paid in admin grants anything."""

from datetime import timedelta

import pytest
from django.urls import reverse

from billing import plans
from billing.models import LedgerEntry, Payment
from billing.tests.conftest import account_of
from conftest import assert_ledger_clean

CHANGELIST = "/admin/billing/payment/"


def books(user) -> tuple[int, int, str, int]:
    """Balance, bought credits, plan and ledger length: what a purchase must not move before it is paid."""
    account = account_of(user)
    return account.balance, account.carryover_credits, account.plan.slug, account.ledger.count()


def mark_paid(staff_client, payment: Payment):
    return staff_client.post(CHANGELIST, {"action": "mark_paid", "_selected_action": [payment.pk]})


def test_buying_the_business_plan_changes_nothing_until_staff_mark_it_paid(manual, alice, alice_client, staff_client):
    before = books(alice)
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "business"})
    assert confirm.status_code == 200
    assert b"$499" in confirm.content or b"Charged now" in confirm.content
    response = alice_client.post("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "49900"})
    payment = Payment.objects.get(account__user=alice)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/billing/payments/{payment.public_id}"
    assert (payment.status, payment.provider, payment.plan.slug) == ("pending", "manual", "business")
    # Clicking again (the "three clicks") only adds more pending invoices.
    alice_client.post("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "49900"})
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-10000", "action": "pack", "charge": "12900"})
    assert books(alice) == before, "nothing moves before a payment is marked paid"
    assert Payment.objects.filter(account__user=alice, status="pending").count() == 3
    invoice = alice_client.get(f"/dashboard/billing/payments/{payment.public_id}")
    assert b"Pending" in invoice.content and payment.public_id.encode() in invoice.content

    assert mark_paid(staff_client, payment).status_code == 302
    account = account_of(alice)
    assert (account.plan.slug, account.balance, account.carryover_credits) == ("business", 100_000, 0)
    refill = LedgerEntry.objects.get(account=account, reference=payment.public_id)
    assert (refill.kind, refill.balance_after, refill.created_by) == ("refill", 100_000, "admin:staff@example.com")
    assert account.paid_until == account.period_ends_at
    payment.refresh_from_db()
    assert (payment.status, payment.completed_by) == ("completed", "admin:staff@example.com")
    assert mark_paid(staff_client, payment).status_code == 302  # again: nothing more
    assert account_of(alice).balance == 100_000
    assert_ledger_clean()


def test_a_pack_is_credited_when_marked_paid_and_only_once(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    assert account_of(alice).balance == 50
    mark_paid(staff_client, payment)
    mark_paid(staff_client, payment)
    account = account_of(alice)
    assert (account.balance, account.carryover_credits) == (550, 500)
    entry = LedgerEntry.objects.get(kind="purchase")
    assert (entry.reference, entry.created_by) == (payment.public_id, "admin:staff@example.com")
    assert_ledger_clean()


def test_a_cancelled_invoice_can_no_longer_be_marked_paid(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    staff_client.post(CHANGELIST, {"action": "cancel_pending", "_selected_action": [payment.pk]})
    mark_paid(staff_client, payment)
    payment.refresh_from_db()
    assert payment.status == "cancelled" and account_of(alice).balance == 50


def test_a_user_cannot_mark_a_payment_paid(manual, alice, alice_client):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    response = alice_client.post(CHANGELIST, {"action": "mark_paid", "_selected_action": [payment.pk]})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert Payment.objects.get().status == "pending" and account_of(alice).balance == 50


def test_one_business_payment_and_three_renewals_refill_once_then_free(manual, alice, alice_client, staff_client):
    """Issue 9, point 1: a plan paid once was refilled every month."""
    alice_client.post("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "49900"})
    mark_paid(staff_client, Payment.objects.get(account__user=alice))
    for _ in range(3):
        account = account_of(alice)
        assert plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1)) == 1
    account = account_of(alice)
    refills = LedgerEntry.objects.filter(account=account, kind="refill").order_by("id")
    paid = [entry for entry in refills if entry.reference]
    assert len(paid) == 1 and paid[0].balance_after == 100_000
    assert account.plan.slug == "free" and account.balance == 50
    assert [entry.balance_after for entry in refills] == [100_000, 50, 50, 50]
    assert_ledger_clean()


def test_paying_the_next_month_ahead_renews_once_more(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/plan", {"plan": "starter", "action": "start", "charge": "1900"})
    mark_paid(staff_client, Payment.objects.get(account__user=alice))
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "starter"}).content.decode()
    assert "Pay for next month of Starter" in confirm
    alice_client.post("/dashboard/billing/plan", {"plan": "starter", "action": "renew", "charge": "1900"})
    ahead = Payment.objects.filter(account__user=alice, status="pending").get()
    mark_paid(staff_client, ahead)
    first_end = account_of(alice).period_ends_at
    assert account_of(alice).balance == 1000, "a month paid ahead refills when it starts"
    plans.renew_due_periods(now=first_end + timedelta(minutes=1))
    account = account_of(alice)
    assert account.plan.slug == "starter" and account.balance == 1000
    assert LedgerEntry.objects.filter(kind="refill", reference=ahead.public_id).count() == 1
    plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1))
    assert account_of(alice).plan.slug == "free"
    assert_ledger_clean()


def test_an_upgrade_pays_the_difference_and_grants_it_at_once(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/plan", {"plan": "starter", "action": "start", "charge": "1900"})
    mark_paid(staff_client, Payment.objects.get(account__user=alice))
    page = alice_client.get("/dashboard/billing/plan", {"plan": "pro"}).content.decode()
    assert "Upgrade to Pro" in page and "9,000 plan credits are added at once" in page
    alice_client.post("/dashboard/billing/plan", {"plan": "pro", "action": "upgrade", "charge": "8000"})
    upgrade = Payment.objects.get(account__user=alice, status="pending")
    assert upgrade.amount_cents == 9900 - 1900 and upgrade.from_plan.slug == "starter"
    assert account_of(alice).plan.slug == "starter"
    mark_paid(staff_client, upgrade)
    account = account_of(alice)
    assert (account.plan.slug, account.balance) == ("pro", 10_000)
    entry = LedgerEntry.objects.get(kind="upgrade")
    assert (entry.amount, entry.reference) == (9_000, upgrade.public_id)
    plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1))
    assert account_of(alice).plan.slug == "free", "an upgrade pays for this period, not the next"
    assert_ledger_clean()


def test_a_downgrade_to_free_waits_for_the_period_end(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/plan", {"plan": "pro", "action": "start", "charge": "9900"})
    mark_paid(staff_client, Payment.objects.get(account__user=alice))
    alice_client.post("/dashboard/billing/plan", {"plan": "free", "action": "to_free", "charge": "0"})
    account = account_of(alice)
    assert account.plan.slug == "pro" and account.pending_plan.slug == "free"
    assert b"You move to Free" in alice_client.get("/dashboard/billing").content


def test_a_stale_confirmation_is_shown_again(manual, alice, alice_client):
    response = alice_client.post("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "100"})
    assert response.status_code == 409 and b"$499" in response.content
    assert not Payment.objects.exists()


def test_receipts_are_only_for_their_owner(manual, alice, alice_client, bob_client, client):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    url = reverse("dash-billing-payment", args=[payment.public_id])
    assert alice_client.get(url).status_code == 200
    assert bob_client.get(url).status_code == 404
    assert client.get(url).status_code == 302  # the login page
    assert alice_client.get(reverse("dash-billing-payment", args=["pay_nope"])).status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "49900"}),
        ("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"}),
    ],
)
def test_without_a_provider_nothing_can_be_bought(no_payments, alice, alice_client, url, data):
    page = alice_client.get("/dashboard/billing").content.decode()
    assert "Payments are not configured" in page
    before = books(alice)
    assert alice_client.post(url, data).status_code == 403
    assert books(alice) == before and not Payment.objects.exists()


def test_without_a_provider_a_downgrade_to_free_still_works(no_payments, alice, alice_client):
    plans.set_plan(alice, plan=plans.Plan.objects.get(slug="pro"))
    response = alice_client.post("/dashboard/billing/plan", {"plan": "free", "action": "to_free", "charge": "0"})
    assert response.status_code == 302 and account_of(alice).pending_plan.slug == "free"
