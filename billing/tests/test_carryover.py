"""Plan credits are spent first and expire; purchased and granted credits carry over."""

import pytest
from django.db import IntegrityError, transaction

from billing import ledger
from billing.models import BillingAccount, LedgerEntry


def account_of(user) -> BillingAccount:
    return BillingAccount.objects.get(user=user)


@pytest.mark.django_db
def test_renders_spend_plan_credits_before_carried_over_ones(alice):
    ledger.adjust_credits(alice, amount=5, reason="bonus")  # 50 plan + 5 carry-over
    for index in range(52):
        ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    account = account_of(alice)
    assert (account.balance, account.carryover_credits) == (3, 3)
    last = LedgerEntry.objects.filter(kind="render").order_by("-id").first()
    assert (last.amount, last.carryover_amount) == (-1, -1)
    assert ledger.ledger_drift(account) is None


@pytest.mark.django_db
def test_a_refund_returns_credits_to_the_part_they_came_from(alice):
    ledger.set_balance(alice, balance=0)
    ledger.adjust_credits(alice, amount=2)  # all carry-over
    ledger.charge_credits(alice, cost=1, reference="img_x")
    ledger.refund_credits(alice, reference="img_x")
    account = account_of(alice)
    assert (account.balance, account.carryover_credits) == (2, 2)
    assert ledger.ledger_drift(account) is None


@pytest.mark.django_db
def test_ledger_rows_cannot_be_updated_even_by_raw_queries(alice):
    entry = LedgerEntry.objects.filter(account__user=alice).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1_000_000)
    entry.refresh_from_db()
    assert entry.amount == 50


@pytest.mark.django_db
def test_the_database_keeps_carryover_within_the_balance(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingAccount.objects.filter(user=alice).update(carryover_credits=51)


@pytest.mark.django_db
def test_drift_is_found(alice):
    BillingAccount.objects.filter(user=alice).update(balance=40)
    assert ledger.ledger_drift(account_of(alice)) == (-10, 0)
