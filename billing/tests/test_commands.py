from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from billing.models import BillingAccount, LedgerEntry


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_account_is_idempotent_and_sets_plan_and_credits():
    run("create_account", "carol@example.com", "--password", "s3cret-pass", "--plan", "pro", "--credits", "3")
    run("create_account", "carol@example.com", "--credits", "3")
    user = User.objects.get(email="carol@example.com")
    assert user.check_password("s3cret-pass")
    account = BillingAccount.objects.get(user=user)
    assert (account.plan.slug, account.balance) == ("pro", 3)
    # The welcome grant of the Pro plan, one adjustment to 3; the second run changed nothing.
    kinds = list(LedgerEntry.objects.filter(account=account).order_by("id").values_list("kind", "amount"))
    assert kinds == [("grant", 10000), ("adjustment", -9997)]


@pytest.mark.django_db
def test_create_account_refuses_bad_input():
    with pytest.raises(CommandError, match="not an e-mail"):
        run("create_account", "not-an-email")
    with pytest.raises(CommandError, match="No plan"):
        run("create_account", "dave@example.com", "--plan", "platinum")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_grant_credits_adds_and_removes_through_the_ledger(alice):
    run("grant_credits", alice.email, "25", "--reason", "goodwill")
    run("grant_credits", alice.email, "-5")
    account = BillingAccount.objects.get(user=alice)
    assert account.balance == 70
    latest = LedgerEntry.objects.filter(account=account).order_by("-id")[:2]
    assert [(e.kind, e.amount, e.balance_after) for e in latest] == [("adjustment", -5, 70), ("grant", 25, 75)]
    assert latest[1].reason == "goodwill"


@pytest.mark.django_db
def test_grant_credits_refuses_to_go_negative_and_unknown_accounts(alice):
    with pytest.raises(CommandError, match="below zero"):
        run("grant_credits", alice.email, "-51")
    with pytest.raises(CommandError, match="No account"):
        run("grant_credits", "x@example.com", "5")
    assert BillingAccount.objects.get(user=alice).balance == 50
