"""Random sequences of Stripe events and ledger traffic against the real services (docs/billing.md).

Invariants after every step: the paid-plan credits granted are exactly the
periods paid for (one refill per paid invoice, one upgrade row per paid
upgrade), an unpaid period is only ever refilled with Free's credits, no
balance goes below zero, `check_ledger` is clean and the daily usage rollups' credits equal
the ledger's renders and refunds.
"""

import contextlib
import itertools
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from billing import ledger, plans, stripe_billing
from billing.models import BillingAccount, LedgerEntry, Payment, Plan
from conftest import make_user

PAID = ["starter", "pro", "business"]
MONTH = timedelta(days=30)
counter = itertools.count(1)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


class BillingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = datetime(2027, 1, 10, 12, tzinfo=UTC)
        self._real_now, timezone.now = timezone.now, lambda: self.now
        self.user = make_user(f"machine{next(counter)}@example.com")
        self.account = BillingAccount.objects.get(user=self.user)
        self.account.stripe_customer_id = f"cus_m{self.account.pk}"
        self.account.save(update_fields=["stripe_customer_id"])
        for plan in Plan.objects.filter(slug__in=PAID):
            plan.stripe_price_id = f"price_{plan.slug}"
            plan.save(update_fields=["stripe_price_id"])
        self.sub = None  # what Stripe holds: id, plan, status, cancel_at_period_end, start, end
        self.delivered: list[dict] = []
        self.paid_invoices: list[dict] = []
        self.periods_paid = 0
        self.upgrades_paid = 0
        self.renders: list[str] = []

    def teardown(self):
        timezone.now = self._real_now

    # --- Stripe, as events ---------------------------------------------------------------

    def send(self, type_: str, obj: dict) -> bool:
        event = {
            "id": f"evt_m{next(counter)}",
            "type": type_,
            "created": ts(self.now) + next(counter) % 1000,
            "data": {"object": obj},
        }
        self.delivered.append(event)
        return stripe_billing.handle_event(event)

    def sub_object(self) -> dict:
        sub = self.sub
        return {
            "id": sub["id"],
            "object": "subscription",
            "customer": self.account.stripe_customer_id,
            "status": sub["status"],
            "cancel_at_period_end": sub["cancel_at_period_end"],
            "items": {
                "data": [
                    {
                        "id": f"si_{sub['id']}",
                        "price": {"id": f"price_{sub['plan']}"},
                        "current_period_start": ts(sub["start"]),
                        "current_period_end": ts(sub["end"]),
                    }
                ]
            },
        }

    def line(self, plan: str, amount: int, start: datetime, end: datetime, proration: bool) -> dict:
        return {
            "amount": amount,
            "period": {"start": ts(start), "end": ts(end)},
            "pricing": {"price_details": {"price": f"price_{plan}"}},
            "parent": {"subscription_item_details": {"subscription": self.sub["id"], "proration": proration}},
        }

    def invoice(self, reason: str, lines: list[dict], paid: bool = True) -> dict:
        invoice_id = f"in_m{next(counter)}"
        return {
            "id": invoice_id,
            "object": "invoice",
            "customer": self.account.stripe_customer_id,
            "billing_reason": reason,
            "status": "paid" if paid else "open",
            "amount_paid": sum(line["amount"] for line in lines) if paid else 0,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id}",
            "lines": {"data": lines},
            "parent": {"subscription_details": {"subscription": self.sub["id"]}},
        }

    def pay_period(self, reason: str) -> None:
        sub = self.sub
        price = Plan.objects.get(slug=sub["plan"]).price_cents
        invoice = self.invoice(reason, [self.line(sub["plan"], price, sub["start"], sub["end"], False)])
        self.send("invoice.paid", invoice)
        self.paid_invoices.append(invoice)
        self.periods_paid += 1

    def fresh(self) -> BillingAccount:
        return BillingAccount.objects.select_related("plan").get(pk=self.account.pk)

    def subscribed(self) -> bool:
        return self.sub is not None and self.sub["status"] == "active"

    # --- Rules ---------------------------------------------------------------------------

    @precondition(lambda self: not self.subscribed())
    @rule(plan=st.sampled_from(PAID))
    def subscribe(self, plan):
        if self.sub and self.sub["status"] != "canceled":
            self.sub["status"] = "canceled"
            self.send("customer.subscription.deleted", self.sub_object())
        self.sub = {
            "id": f"sub_m{next(counter)}",
            "plan": plan,
            "status": "active",
            "cancel_at_period_end": False,
            "start": self.now,
            "end": self.now + MONTH,
        }
        self.send("customer.subscription.created", self.sub_object())
        self.pay_period("subscription_create")

    @precondition(lambda self: self.subscribed())
    @rule(paid=st.booleans())
    def stripe_renews(self, paid):
        sub = self.sub
        self.now = max(self.now, sub["end"]) + timedelta(minutes=5)
        if sub["cancel_at_period_end"]:
            sub["status"] = "canceled"
            self.send("customer.subscription.deleted", self.sub_object())
        else:
            sub["start"], sub["end"] = sub["end"], sub["end"] + MONTH
            if paid:
                self.pay_period("subscription_cycle")
            else:
                sub["status"] = "past_due"
                price = Plan.objects.get(slug=sub["plan"]).price_cents
                lines = [self.line(sub["plan"], price, sub["start"], sub["end"], False)]
                self.send("invoice.payment_failed", self.invoice("subscription_cycle", lines, paid=False))
            self.send("customer.subscription.updated", self.sub_object())
        plans.renew_due_periods(now=self.now)

    @rule(days=st.integers(min_value=1, max_value=45))
    def time_passes(self, days):
        self.now += timedelta(days=days)
        plans.renew_due_periods(now=self.now)

    @precondition(lambda self: self.subscribed())
    @rule(plan=st.sampled_from(PAID))
    def upgrade(self, plan):
        account = self.fresh()
        target = Plan.objects.get(slug=plan)
        if not (plans.in_paid_period(account, self.now) and plans.is_upgrade(account.plan, target)):
            return
        old = Plan.objects.get(slug=self.sub["plan"])
        end = self.sub["end"]
        lines = [
            self.line(old.slug, -old.price_cents // 2, self.now, end, True),
            self.line(plan, target.price_cents // 2, self.now, end, True),
        ]
        self.sub.update(plan=plan, cancel_at_period_end=False)
        self.send("invoice.paid", self.invoice("subscription_update", lines))
        self.upgrades_paid += 1
        self.send("customer.subscription.updated", self.sub_object())

    @precondition(lambda self: self.subscribed())
    @rule(plan=st.sampled_from(PAID))
    def downgrade(self, plan):
        if Plan.objects.get(slug=plan).monthly_credits < self.fresh().plan.monthly_credits:
            self.sub["plan"] = plan
            self.send("customer.subscription.updated", self.sub_object())

    @precondition(lambda self: self.subscribed())
    @rule(at_once=st.booleans())
    def cancel(self, at_once):
        if at_once:
            self.sub["status"] = "canceled"
            self.send("customer.subscription.deleted", self.sub_object())
        else:
            self.sub["cancel_at_period_end"] = True
            self.send("customer.subscription.updated", self.sub_object())

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def replay(self, data):
        event = data.draw(st.sampled_from(self.delivered))
        before = self.snapshot()
        assert stripe_billing.handle_event(event) is False
        assert self.snapshot() == before

    @precondition(lambda self: self.paid_invoices)
    @rule(data=st.data())
    def old_invoice_arrives_late(self, data):
        invoice = data.draw(st.sampled_from(self.paid_invoices))
        before = self.snapshot()
        self.send("invoice.paid", invoice)  # a new event id for an invoice already handled
        assert self.snapshot() == before

    @rule(amount=st.integers(min_value=-30, max_value=60))
    def admin_grant(self, amount):
        with contextlib.suppress(ledger.NegativeBalance):
            ledger.adjust_credits(self.user, amount=amount, kind="adjustment", created_by="admin:staff")

    @rule(cost=st.integers(min_value=1, max_value=400))
    def render(self, cost):
        reference = f"img_m{next(counter)}"
        try:
            ledger.charge_credits(self.user, cost=cost, reference=reference)
            self.renders.append(reference)
        except ledger.InsufficientCredits:
            pass

    @precondition(lambda self: self.renders)
    @rule(data=st.data())
    def refund(self, data):
        ledger.refund_credits(self.user, reference=data.draw(st.sampled_from(self.renders)))

    def snapshot(self):
        account = self.fresh()
        return (
            account.balance,
            account.carryover_credits,
            account.plan_id,
            account.paid_until,
            LedgerEntry.objects.count(),
        )

    # --- Invariants ----------------------------------------------------------------------

    @invariant()
    def books_balance(self):
        account = self.fresh()
        assert account.balance >= 0 and 0 <= account.carryover_credits <= account.balance
        out = StringIO()
        call_command("check_ledger", stdout=out)
        assert out.getvalue().startswith("OK:")

    @invariant()
    def daily_rollups_hold_the_ledgers_usage(self):
        # Renders and refunds move the day's rollup in their ledger row's transaction.
        assert ledger.rollup_drift(self.fresh()) == 0

    @invariant()
    def plan_credits_granted_equal_periods_paid_for(self):
        free = Plan.default().monthly_credits
        carryover = 0
        paid_refills = upgrades = 0
        for entry in LedgerEntry.objects.filter(account=self.account).order_by("id"):
            carryover += entry.carryover_amount
            plan_credits = entry.balance_after - carryover
            if entry.kind == "refill" and entry.reference:
                payment = Payment.objects.get(public_id=entry.reference, status="completed")
                assert plan_credits == payment.plan.monthly_credits
                paid_refills += 1
            elif entry.kind == "refill":
                assert plan_credits == free, "an unpaid period got more than Free's credits"
            elif entry.kind == "upgrade":
                payment = Payment.objects.get(public_id=entry.reference, status="completed")
                assert entry.amount == payment.plan.monthly_credits - payment.from_plan.monthly_credits
                upgrades += 1
        assert paid_refills == self.periods_paid
        assert upgrades == self.upgrades_paid
        account = self.fresh()
        if account.plan.is_paid:
            assert account.paid_until is not None or paid_refills == 0


BillingMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
def test_billing_state_machine(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_unused"  # every Stripe price is named on its plan: no API call
    settings.STRIPE_WEBHOOK_SECRET = "whsec_unused"
    BillingMachine.TestCase("runTest").runTest()
