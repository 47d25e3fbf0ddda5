"""The only code that changes a balance: each change writes a ledger row in the
same transaction, and a debit is one conditional UPDATE, so two concurrent
renders can never spend the same credit (RECIPES.md: SQLite ignores
select_for_update; this works on SQLite and PostgreSQL alike)."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from billing.models import BillingAccount, LedgerEntry, Plan

PERIOD_LENGTH = timedelta(days=30)


class InsufficientCredits(Exception):
    def __init__(self, cost: int, balance: int):
        self.cost, self.balance = cost, balance
        unit = "credit" if cost == 1 else "credits"
        super().__init__(f"This render costs {cost} {unit}; the balance is {balance}.")


class NegativeBalance(Exception):
    """An adjustment would take the balance below zero."""


def open_account(user, *, plan: Plan | None = None, now: datetime | None = None) -> BillingAccount:
    """The user's billing account, created on first use on the default plan with its credits."""
    existing = BillingAccount.objects.select_related("plan").filter(user=user).first()
    if existing:
        return existing
    plan = plan or Plan.default()
    now = now or timezone.now()
    try:
        with transaction.atomic():
            account = BillingAccount.objects.create(
                user=user, plan=plan, balance=0, period_started_at=now, period_ends_at=now + PERIOD_LENGTH
            )
            _apply(account, plan.monthly_credits, kind=LedgerEntry.Kind.GRANT, reason=f"Welcome: {plan.name} plan")
    except IntegrityError:  # opened concurrently by another request
        pass
    return BillingAccount.objects.select_related("plan").get(user=user)


def _apply(
    account: BillingAccount,
    amount: int,
    *,
    kind: str,
    reference: str = "",
    reason: str = "",
    created_by: str = "",
) -> LedgerEntry:
    """Add `amount` (may be negative) and write the ledger row; the caller holds a transaction."""
    rows = BillingAccount.objects.filter(pk=account.pk)
    if amount < 0:
        rows = rows.filter(balance__gte=-amount)
    if not rows.update(balance=F("balance") + amount):
        raise NegativeBalance
    balance = BillingAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
    account.balance = balance
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance,
        reference=reference,
        reason=reason,
        created_by=created_by,
    )


def charge_credits(user, *, cost: int, reference: str, created_by: str = "") -> int:
    """Spend `cost` credits for the render `reference`; returns the new balance.

    Raises InsufficientCredits, leaving nothing changed, when the balance is short.
    """
    account = open_account(user)
    try:
        with transaction.atomic():
            entry = _apply(account, -cost, kind=LedgerEntry.Kind.RENDER, reference=reference, created_by=created_by)
    except NegativeBalance:
        balance = BillingAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        raise InsufficientCredits(cost, balance) from None
    return entry.balance_after


def refund_credits(user, *, reference: str, reason: str = "Render failed") -> int | None:
    """Give back what the render `reference` cost. Returns the new balance, or
    None when there was no charge or it was already refunded."""
    account = open_account(user)
    charge = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.RENDER, reference=reference).first()
    if charge is None:
        return None
    try:
        with transaction.atomic():
            entry = _apply(account, -charge.amount, kind=LedgerEntry.Kind.REFUND, reference=reference, reason=reason)
    except IntegrityError:  # the unique constraint: refunded already
        return None
    return entry.balance_after


def adjust_credits(
    user, *, amount: int, kind: str = LedgerEntry.Kind.GRANT, reason: str = "", created_by: str = ""
) -> int:
    """Add (or, negative, remove) credits through the ledger; returns the new balance.

    Raises NegativeBalance when removing more than the balance holds.
    """
    account = open_account(user)
    with transaction.atomic():
        entry = _apply(account, amount, kind=kind, reason=reason, created_by=created_by)
    return entry.balance_after


def set_balance(user, *, balance: int, reason: str = "", created_by: str = "") -> int:
    """Bring the balance to exactly `balance` with one adjustment row."""
    if balance < 0:
        raise NegativeBalance
    account = open_account(user)
    with transaction.atomic():
        current = BillingAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        if balance != current:
            _apply(account, balance - current, kind=LedgerEntry.Kind.ADJUSTMENT, reason=reason, created_by=created_by)
    return balance


def used_this_period(account: BillingAccount) -> int:
    """Credits spent on renders (net of refunds) since the period started, from the ledger."""
    spent = LedgerEntry.objects.filter(
        account=account,
        kind__in=[LedgerEntry.Kind.RENDER, LedgerEntry.Kind.REFUND],
        created_at__gte=account.period_started_at,
    ).aggregate(total=Sum("amount"))["total"]
    return -(spent or 0)


def change_plan(user, *, plan: Plan) -> BillingAccount:
    """Put the account on `plan` (the full plan-change rules come with billing)."""
    account = open_account(user, plan=plan)
    if account.plan_id != plan.pk:
        account.plan = plan
        account.save(update_fields=["plan"])
    return account
