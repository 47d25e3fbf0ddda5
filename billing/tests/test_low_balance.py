import pytest
from django.core import mail

from billing import ledger, plans
from billing.models import BillingAccount
from billing.signals import credits_low


@pytest.fixture
def low_signals():
    received = []

    def receiver(sender, account, **kwargs):
        received.append(account.user.email)

    credits_low.connect(receiver)
    yield received
    credits_low.disconnect(receiver)


@pytest.mark.django_db
def test_falling_below_ten_percent_mails_the_owner_once_per_period(
    alice, low_signals, django_capture_on_commit_callbacks
):
    # Free: 50 credits, so the threshold is 5: the 46th render leaves 4. (No usage alerts:
    # they are e-mails of their own, test_usage_alerts.py.)
    BillingAccount.objects.get(user=alice).choose_usage_alerts([])
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(45):
            ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(45, 48):
            ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "running low" in mail.outbox[0].subject and "below 10% of the 50 monthly credits" in mail.outbox[0].body
    assert low_signals == ["alice@example.com"]

    # A new period resets the notice.
    account = BillingAccount.objects.get(user=alice)
    plans.renew_due_periods(now=account.period_ends_at)
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(48, 94):
            ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    assert len(mail.outbox) == 2 and low_signals == ["alice@example.com"] * 2
