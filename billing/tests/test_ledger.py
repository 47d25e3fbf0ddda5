import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing import ledger
from billing.models import BillingAccount, LedgerEntry, Plan
from conftest import make_user


def ledger_sum(user) -> int:
    return LedgerEntry.objects.filter(account__user=user).aggregate(total=Sum("amount"))["total"] or 0


def assert_account_matches_its_ledger(user):
    account = BillingAccount.objects.get(user=user)
    assert account.balance == ledger_sum(user) >= 0
    last = LedgerEntry.objects.filter(account=account).order_by("-id").first()
    assert last.balance_after == account.balance


@pytest.mark.django_db
def test_plans_are_seeded_as_the_spec_lists_them():
    rows = list(Plan.objects.values_list("slug", "monthly_credits", "rate_limit_per_minute"))
    assert rows == [("free", 50, 10), ("starter", 1000, 60), ("pro", 10000, 300), ("business", 100000, 1000)]


@pytest.mark.django_db
def test_a_new_account_starts_on_free_with_its_credits_through_the_ledger(alice):
    account = BillingAccount.objects.get(user=alice)
    assert account.plan.slug == "free" and account.balance == 50
    entry = LedgerEntry.objects.get(account=account)
    assert (entry.kind, entry.amount, entry.balance_after) == ("grant", 50, 50)


@pytest.mark.django_db
def test_a_charge_debits_and_records_balance_after(alice):
    balance = ledger.charge_credits(alice, cost=1, reference="img_a")
    assert balance == 49
    entry = LedgerEntry.objects.get(kind="render", reference="img_a")
    assert (entry.amount, entry.balance_after) == (-1, 49)
    assert_account_matches_its_ledger(alice)


@pytest.mark.django_db
def test_an_insufficient_balance_changes_nothing(db):
    user = make_user("poor@example.com", credits=0)
    before = LedgerEntry.objects.count()
    with pytest.raises(ledger.InsufficientCredits) as caught:
        ledger.charge_credits(user, cost=1, reference="img_b")
    assert caught.value.balance == 0
    assert "costs 1 credit; the balance is 0" in str(caught.value)
    assert LedgerEntry.objects.count() == before
    assert_account_matches_its_ledger(user)


@pytest.mark.django_db
def test_a_refund_happens_once_per_image(alice):
    ledger.charge_credits(alice, cost=1, reference="img_c")
    assert ledger.refund_credits(alice, reference="img_c") == 50
    assert ledger.refund_credits(alice, reference="img_c") is None
    assert ledger.refund_credits(alice, reference="img_never_charged") is None
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert_account_matches_its_ledger(alice)


@pytest.mark.django_db
def test_an_image_cannot_be_charged_twice(alice):
    ledger.charge_credits(alice, cost=1, reference="img_d")
    with pytest.raises(IntegrityError):
        ledger.charge_credits(alice, cost=1, reference="img_d")
    assert BillingAccount.objects.get(user=alice).balance == 49


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingAccount.objects.filter(user=alice).update(balance=-1)


@pytest.mark.django_db
def test_adjustments_cannot_go_below_zero_and_set_balance_writes_one_row(alice):
    with pytest.raises(ledger.NegativeBalance):
        ledger.adjust_credits(alice, amount=-51)
    assert ledger.set_balance(alice, balance=3, reason="test") == 3
    entry = LedgerEntry.objects.filter(account__user=alice).order_by("-id").first()
    assert (entry.kind, entry.amount, entry.balance_after) == ("adjustment", -47, 3)
    assert_account_matches_its_ledger(alice)


@pytest.mark.django_db
def test_used_this_period_is_renders_net_of_refunds(alice):
    for ref in ("img_1", "img_2", "img_3"):
        ledger.charge_credits(alice, cost=1, reference=ref)
    ledger.refund_credits(alice, reference="img_2")
    assert ledger.used_this_period(BillingAccount.objects.get(user=alice)) == 2
