from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing import ledger, plans
from billing.models import BillingAccount, LedgerEntry, Plan


def account_of(user) -> BillingAccount:
    return BillingAccount.objects.select_related("plan", "pending_plan").get(user=user)


def plan(slug: str) -> Plan:
    return Plan.objects.get(slug=slug)


def test_add_months_clamps_to_the_end_of_shorter_months():
    jan31 = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert ledger.add_months(jan31) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert ledger.add_months(jan31, 2) == datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert ledger.add_months(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_a_downgrade_waits_for_the_next_period(alice):
    plans.set_plan(alice, plan=plan("pro"))
    plans.schedule_plan(alice, plan=plan("free"))
    account = account_of(alice)
    assert account.plan.slug == "pro" and account.pending_plan.slug == "free"
    plans.schedule_plan(alice, plan=plan("pro"))
    assert account_of(alice).pending_plan is None, "choosing the current plan cancels the downgrade"


@pytest.mark.django_db
def test_a_new_period_refills_plan_credits_and_keeps_carried_over_ones(alice):
    account = account_of(alice)
    for index in range(30):
        ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    ledger.adjust_credits(alice, amount=7, reason="bonus")
    later = account.period_ends_at + timedelta(minutes=1)
    assert plans.renew_due_periods(now=later) == 1
    account = account_of(alice)
    assert account.plan.slug == "free" and account.pending_plan is None
    assert (account.balance, account.carryover_credits) == (50 + 7, 7)
    assert account.period_started_at == ledger.add_months(account.period_anchor)
    refill = LedgerEntry.objects.filter(account=account, kind="refill").get()
    assert refill.balance_after == 57 and refill.reference == ""
    assert ledger.ledger_drift(account) is None


@pytest.mark.django_db
def test_a_paid_plan_without_a_payment_falls_back_to_free_at_the_period_end(alice):
    plans.set_plan(alice, plan=plan("business"))  # an operator's plan for this period only
    account = account_of(alice)
    plans.renew_due_periods(now=account.period_ends_at + timedelta(minutes=1))
    account = account_of(alice)
    assert (account.plan.slug, account.balance) == ("free", 50)


@pytest.mark.django_db
def test_renewal_is_idempotent_and_skips_missed_periods(alice):
    account = account_of(alice)
    much_later = ledger.add_months(account.period_anchor, 3) + timedelta(days=2)
    assert plans.renew_due_periods(now=much_later) == 1
    assert plans.renew_due_periods(now=much_later) == 0
    account = account_of(alice)
    assert account.period_started_at == ledger.add_months(account.period_anchor, 3)
    assert account.period_ends_at == ledger.add_months(account.period_anchor, 4)
    assert LedgerEntry.objects.filter(account=account, kind="refill").count() == 1


@pytest.mark.django_db
def test_reset_period_command_renews_only_ended_periods(alice, bob):
    BillingAccount.objects.filter(user=alice).update(period_ends_at=datetime(2020, 1, 1, tzinfo=UTC))
    out = StringIO()
    call_command("reset_period", stdout=out)
    assert "Renewed 1 account(s)." in out.getvalue()
    assert LedgerEntry.objects.filter(kind="refill", account__user=alice).count() == 1
    assert not LedgerEntry.objects.filter(kind="refill", account__user=bob).exists()


@pytest.mark.django_db
def test_change_plan_and_buy_credits_commands(alice):
    out = StringIO()
    call_command("change_plan", alice.email, "pro", stdout=out)
    call_command("buy_credits", alice.email, "pack-500", stdout=out)
    account = account_of(alice)
    assert account.plan.slug == "pro" and account.paid_until == account.period_ends_at
    assert (account.balance, account.carryover_credits) == (10_000 + 500, 500)
    assert {p.completed_by for p in account.payments.all()} == {"manage.py change_plan", "manage.py buy_credits"}
    with pytest.raises(CommandError, match="No pack"):
        call_command("buy_credits", alice.email, "pack-7")
    with pytest.raises(CommandError, match="No plan"):
        call_command("change_plan", alice.email, "gold")


@pytest.mark.django_db
def test_check_ledger_passes_and_fails_on_drift(alice, bob):
    ledger.charge_credits(alice, cost=1, reference="img_a")
    call_command("check_ledger", stdout=StringIO())
    BillingAccount.objects.filter(user=bob).update(balance=49)
    out = StringIO()
    with pytest.raises(CommandError, match="1 account"):
        call_command("check_ledger", stdout=out)
    assert "bob@example.com: balance 49 is off by -1" in out.getvalue()
