"""Money in the audit log (docs/workspaces.md, "Audit log"): grants, payments marked paid, plan
changes, from the commands, the admin, the dashboard and Stripe; each in the personal workspace
of the account's user, one event per action, written in the action's own transaction."""

from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from accounts.models import AuditEvent, User, personal_workspace
from billing import payments, plans
from billing.admin import BillingAccountAdmin
from billing.models import BillingAccount, CreditPack, Payment, Plan
from billing.tests.conftest import account_of, deliver

CHANGELIST = "/admin/billing/payment/"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def events_of(user, action: str | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(workspace=personal_workspace(user)).order_by("id")
    return list(events.filter(action=action) if action else events)


def broken_audit(monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("the audit insert failed")

    monkeypatch.setattr(AuditEvent.objects, "create", fail)


# --- credits -------------------------------------------------------------------------------------


def test_grant_credits_writes_one_event_in_the_personal_workspace(alice):
    run("grant_credits", alice.email, "25", "--reason", "support")
    [event] = events_of(alice)
    workspace = personal_workspace(alice)
    assert (event.action, event.target, event.actor, event.ip) == ("credits.granted", workspace.public_id, None, None)
    assert event.details == {
        "amount": 25,
        "balance_after": 75,
        "kind": "grant",
        "reason": "support",
        "by": "manage.py grant_credits",
    }


def test_removing_more_credits_than_the_balance_writes_no_event(alice):
    with pytest.raises(CommandError, match="below zero"):
        run("grant_credits", alice.email, "-1000")
    run("grant_credits", alice.email, "-10")
    assert [event.action for event in events_of(alice)] == ["credits.removed"]


def test_a_grant_whose_event_fails_moves_no_credit(alice, monkeypatch):
    broken_audit(monkeypatch)
    with pytest.raises(DatabaseError):
        run("grant_credits", alice.email, "25")
    assert account_of(alice).balance == 50 and account_of(alice).ledger.count() == 1


def test_the_admin_grant_names_the_staff_user_and_address(staff_client, alice):
    account = BillingAccount.objects.get(user=alice)
    response = staff_client.post(
        "/admin/billing/billingaccount/",
        {"action": "grant_credits", "_selected_action": [account.pk], "credits": "10", "reason": "support"},
    )
    assert response.status_code == 302
    [event] = events_of(alice)
    assert (event.action, event.actor_email, event.ip) == ("credits.granted", "staff@example.com", "127.0.0.1")
    assert event.details["amount"] == 10 and event.details["by"] == "admin:staff@example.com"


def test_create_account_changes_plan_and_credits_with_an_event_each(alice):
    run("create_account", alice.email, "--plan", "pro", "--credits", "5")
    changed, set_ = events_of(alice)
    assert (changed.action, changed.details) == (
        "plan.changed",
        {"from": "free", "to": "pro", "by": "manage.py create_account"},
    )
    assert set_.action == "credits.set" and set_.details["balance_after"] == 5
    run("create_account", alice.email, "--plan", "pro", "--credits", "5")  # nothing changes: no event
    assert len(events_of(alice)) == 2


# --- payments ------------------------------------------------------------------------------------


def test_marking_a_pack_paid_in_the_admin_writes_one_event(manual, alice, alice_client, staff_client):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    assert events_of(alice) == []  # a pending payment moves nothing
    for _ in range(2):
        staff_client.post(CHANGELIST, {"action": "mark_paid", "_selected_action": [payment.pk]})
    [event] = events_of(alice)
    assert (event.action, event.target, event.actor_email) == (
        "payment.completed",
        payment.public_id,
        "staff@example.com",
    )
    assert event.details == {
        "kind": "pack",
        "provider": "manual",
        "amount_cents": 900,
        "pack": "pack-500",
        "credits": 500,
        "by": "admin:staff@example.com",
    }


def test_a_payment_whose_event_fails_stays_pending(manual, alice, monkeypatch):
    pack = CreditPack.objects.get(slug="pack-500")
    payment = payments.confirm(alice, payments.quote_pack(alice, pack=pack)).payment
    broken_audit(monkeypatch)
    with pytest.raises(DatabaseError):
        payments.complete_payment(payment, by="test")
    payment.refresh_from_db()
    assert payment.status == "pending" and account_of(alice).balance == 50


def test_buy_credits_writes_one_event(alice):
    run("buy_credits", alice.email, "pack-500")
    [event] = events_of(alice)
    assert event.action == "payment.completed" and event.details["by"] == "manage.py buy_credits"


def test_change_plan_up_then_to_free_writes_a_payment_then_a_schedule(alice):
    run("change_plan", alice.email, "pro")
    run("change_plan", alice.email, "free")
    paid, scheduled = events_of(alice)
    assert (paid.action, paid.details["plan"], paid.details["by"]) == (
        "payment.completed",
        "pro",
        "manage.py change_plan",
    )
    assert (scheduled.action, scheduled.actor) == ("plan.scheduled", None)
    assert scheduled.details == {"from": "pro", "next": "free", "by": "manage.py change_plan"}


def test_a_downgrade_in_the_dashboard_is_scheduled_by_the_user(no_payments, alice, alice_client):
    plans.set_plan(alice, plan=Plan.objects.get(slug="pro"))
    alice_client.post("/dashboard/billing/plan", {"plan": "free", "action": "to_free", "charge": "0"})
    event = events_of(alice)[-1]
    assert (event.action, event.actor, event.ip) == ("plan.scheduled", alice, "127.0.0.1")
    assert event.details == {"from": "pro", "next": "free"}


def test_the_renewal_that_ends_an_unpaid_plan_writes_plan_changed(alice):
    plans.set_plan(alice, plan=Plan.objects.get(slug="business"))
    account = account_of(alice)
    plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1))
    event = events_of(alice)[-1]
    assert (event.action, event.details) == ("plan.changed", {"from": "business", "to": "free", "by": "renewal"})
    plans.renew_due_periods(now=account.period_ends_at + timedelta(days=40))  # Free to Free: no event
    assert len(events_of(alice, "plan.changed")) == 2


def test_a_stripe_subscription_paid_writes_one_event_however_often_stripe_retries(fake_stripe, alice, alice_client):
    quote = alice_client.get("/dashboard/billing/plan", {"plan": "pro"}).content.decode()
    charge = quote.split('name="charge" value="')[1].split('"')[0]
    response = alice_client.post("/dashboard/billing/plan", {"plan": "pro", "action": "start", "charge": charge})
    events = fake_stripe.pay_checkout(response["Location"].rsplit("/", 1)[1])
    for _ in range(2):
        deliver(*events)
    payment = Payment.objects.get(account__user=alice, provider="stripe")
    [event] = events_of(alice)
    assert (event.action, event.target, event.actor) == ("payment.completed", payment.public_id, None)
    assert event.details["by"] == "stripe" and event.details["plan"] == "pro"


def test_an_admin_edit_of_the_billing_account_is_audited(alice, rf):
    staff = User.objects.create_superuser("staff@example.com", "pw")
    account = account_of(alice)
    account.pending_plan = Plan.objects.get(slug="pro")
    request = rf.post("/admin/", REMOTE_ADDR="192.0.2.4")
    request.user = staff
    form = SimpleNamespace(changed_data=["pending_plan"])
    BillingAccountAdmin(BillingAccount, admin.site).save_model(request, account, form, change=True)
    [event] = events_of(alice)
    assert (event.action, event.actor, event.ip) == ("billing.edited", staff, "192.0.2.4")
    assert event.details == {"pending_plan": ["", "Pro"]}
