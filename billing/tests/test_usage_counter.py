"""This period's usage is a counter moved with the ledger (docs/billing.md, "Usage"): one row to read."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import ledger, plans
from billing.models import BillingAccount


def test_renders_and_refunds_move_the_counter_and_reading_it_is_one_query(alice):
    for n in range(5):
        ledger.charge_credits(alice, cost=1, reference=f"img_{n}")
    ledger.refund_credits(alice, reference="img_3")
    account = BillingAccount.objects.get(user=alice)
    with CaptureQueriesContext(connection) as queries:
        assert ledger.used_this_period(account) == 4
    assert len(queries) == 1 and "SUM" not in queries[0]["sql"].upper()
    assert ledger.usage_drift(account) == 0


def test_grants_and_refills_do_not_count_as_usage(alice):
    ledger.charge_credits(alice, cost=2, reference="img_a")
    ledger.adjust_credits(alice, amount=100, reason="support")
    assert ledger.used_this_period(BillingAccount.objects.get(user=alice)) == 2


def test_a_new_period_starts_from_the_renders_already_in_it(alice):
    ledger.charge_credits(alice, cost=3, reference="img_old")
    boundary = timezone.now()
    time.sleep(0.01)
    # The period ended at `boundary`; this render arrives before the renewal has run.
    ledger.charge_credits(alice, cost=1, reference="img_new")
    BillingAccount.objects.filter(user=alice).update(
        period_anchor=ledger.add_months(boundary, -1),
        period_started_at=ledger.add_months(boundary, -1),
        period_ends_at=boundary,
    )
    assert plans.renew_due_periods(now=timezone.now()) == 1
    account = BillingAccount.objects.get(user=alice)
    assert account.period_started_at == boundary
    assert ledger.used_this_period(account) == 1 and ledger.usage_drift(account) == 0


def test_check_ledger_finds_a_counter_that_drifted(alice):
    ledger.charge_credits(alice, cost=1, reference="img_x")
    BillingAccount.objects.filter(user=alice).update(used_this_period=7)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert "used this period 7 is off by +6" in out.getvalue()
