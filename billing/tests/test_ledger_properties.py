"""Random sequences of money events keep the books: balance == sum(ledger) >= 0."""

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger, plans
from billing.models import BillingAccount
from conftest import make_user

events = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(min_value=-30, max_value=30)),
        st.tuples(st.just("render"), st.integers(min_value=1, max_value=3)),
        st.tuples(st.just("fail"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("refund_again"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("refill"), st.just(0)),
    ),
    max_size=40,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_any_sequence_keeps_balance_equal_to_the_ledger(sequence):
    user = make_user(f"prop{BillingAccount.objects.count()}@example.com")
    charged: list[str] = []
    costs: dict[str, int] = {}
    used = 0  # what this period's usage counter should say
    for step, (event, value) in enumerate(sequence):
        if event == "grant":
            with contextlib.suppress(ledger.NegativeBalance):
                ledger.adjust_credits(user, amount=value or 1)
        elif event == "render":
            try:
                ledger.charge_credits(user, cost=value, reference=f"img_{user.pk}_{step}")
                charged.append(f"img_{user.pk}_{step}")
                costs[charged[-1]] = value
                used += value
            except ledger.InsufficientCredits:
                pass
        elif event in ("fail", "refund_again") and charged:
            reference = charged[value % len(charged)]
            if ledger.refund_credits(user, reference=reference) is not None:
                used -= costs[reference]
        elif event == "refill":
            account = BillingAccount.objects.get(user=user)
            plans.renew_due_periods(now=account.period_ends_at + timedelta(seconds=1))
            used = 0  # a new period (its renders are still ahead in this test's clock)
        account = BillingAccount.objects.get(user=user)
        assert ledger.ledger_drift(account) is None
        assert 0 <= account.carryover_credits <= account.balance
        # The usage counter moved with every render and refund, and started again with the period.
        assert account.used_this_period == used
