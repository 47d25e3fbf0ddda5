"""The only code that changes a balance.

Every change writes a ledger row in the same transaction as the balance, and a
debit is one conditional UPDATE (`… WHERE balance >= cost`), so two concurrent
renders can never spend the same credit; that works on SQLite (which ignores
select_for_update but serialises writers) and PostgreSQL alike.

A balance has two parts: this period's plan credits, spent first and replaced
at each refill, and `carryover_credits` (purchased or granted), spent last and
kept across periods. Each ledger row records how much of its amount moved in the
carry-over part, so both parts can be audited (`manage.py check_ledger`).
"""

import calendar
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Least
from django.utils import timezone

from accounts import audit
from accounts.models import personal_workspace
from billing import usage as usage_rollups
from billing.models import BillingAccount, LedgerEntry, Plan, UsageDay

LOW_BALANCE_SHARE = 0.10  # warn below 10 % of the plan's monthly credits


class InsufficientCredits(Exception):
    def __init__(self, cost: int, balance: int):
        self.cost, self.balance = cost, balance
        unit = "credit" if cost == 1 else "credits"
        super().__init__(f"This render costs {cost} {unit}; the balance is {balance}.")


class NegativeBalance(Exception):
    """An adjustment would take the balance below zero."""


def add_months(moment: datetime, months: int = 1) -> datetime:
    """The same day and time `months` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def open_account(user, *, plan: Plan | None = None, now: datetime | None = None) -> BillingAccount:
    """The user's billing account, created on first use on the default plan with its credits."""
    # get(), not first(): first() would order by the default ordering (the user's e-mail),
    # joining the users table and sorting on every request for a row the user id finds alone.
    try:
        return BillingAccount.objects.select_related("plan").get(user=user)
    except BillingAccount.DoesNotExist:
        pass
    plan = plan or Plan.default()
    now = now or timezone.now()
    try:
        with transaction.atomic():
            account = BillingAccount.objects.create(
                user=user,
                plan=plan,
                balance=0,
                period_anchor=now,
                period_started_at=now,
                period_ends_at=add_months(now),
            )
            _apply(account, plan.monthly_credits, kind=LedgerEntry.Kind.GRANT, reason=f"Welcome: {plan.name} plan")
    except IntegrityError:  # opened concurrently by another request
        pass
    return BillingAccount.objects.select_related("plan").get(user=user)


# How an amount moves the carry-over part of the balance, as an UPDATE expression.
def _spend(amount: int):
    # Plan credits go first: what is left of the carry-over is at most the new balance.
    return Least(F("carryover_credits"), F("balance") + amount)


def _keep(amount: int):
    return F("carryover_credits")


def _carry(amount: int):
    return F("carryover_credits") + amount


def _apply(
    account: BillingAccount,
    amount: int,
    *,
    kind: str,
    carryover=None,
    reference: str = "",
    reason: str = "",
    created_by: str = "",
    usage_key: str = "",
    usage_template: str = "",
) -> LedgerEntry:
    """Add `amount` (may be negative) and write the ledger row; the caller holds a transaction.

    `carryover` says how the carry-over part moves (default: debits spend plan
    credits first, credits go to this period's plan credits). Renders and refunds
    also move the period's usage counter and the day's rollup for (`usage_key`,
    `usage_template`), in the same transaction.
    """
    carryover = carryover or (_spend if amount < 0 else _keep)
    before = BillingAccount.objects.select_for_update().values_list("carryover_credits", flat=True).get(pk=account.pk)
    rows = BillingAccount.objects.filter(pk=account.pk)
    if amount < 0:
        rows = rows.filter(balance__gte=-amount)
    usage = {"used_this_period": F("used_this_period") - amount} if kind in USAGE_KINDS else {}
    if not rows.update(balance=F("balance") + amount, carryover_credits=carryover(amount), **usage):
        raise NegativeBalance
    balance, after, used = BillingAccount.objects.values_list("balance", "carryover_credits", "used_this_period").get(
        pk=account.pk
    )
    account.balance, account.carryover_credits, account.used_this_period = balance, after, used
    entry = LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance,
        carryover_amount=after - before,
        reference=reference,
        reason=reason,
        created_by=created_by,
    )
    if kind in USAGE_KINDS:
        usage_rollups.add_usage(
            account.user_id,
            key=usage_key,
            template=usage_template,
            day=entry.created_at.astimezone(UTC).date(),
            credits_used=-amount,
        )
    return entry


def charge_credits(
    user, *, cost: int, reference: str, created_by: str = "", usage_key: str = "", usage_template: str = ""
) -> int:
    """Spend `cost` credits for the render `reference`; returns the new balance.

    `usage_key` and `usage_template` (public ids, "" for none) say which rollup row the
    credits count in. Raises InsufficientCredits, leaving nothing changed, when the balance is short.
    """
    account = open_account(user)
    try:
        with transaction.atomic():
            entry = _apply(
                account,
                -cost,
                kind=LedgerEntry.Kind.RENDER,
                reference=reference,
                created_by=created_by,
                usage_key=usage_key,
                usage_template=usage_template,
            )
            _note_thresholds(account)
    except NegativeBalance:
        balance = BillingAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        raise InsufficientCredits(cost, balance) from None
    return entry.balance_after


def _note_thresholds(account: BillingAccount) -> None:
    """Once per period each, tell the owner (after commit) that the balance is low or usage passed an alert.

    Works from the balance and the period's counter `_apply` just read: no query unless a
    threshold is crossed, and then one conditional UPDATE claims the notice, so concurrent
    renders send it once.
    """
    from billing.tasks import notify_low_balance, notify_usage_alert  # tasks import this module

    if account.balance < account.plan.monthly_credits * LOW_BALANCE_SHARE:
        claimed = (
            BillingAccount.objects.filter(pk=account.pk)
            .exclude(low_balance_notified_at__gte=F("period_started_at"))
            .update(low_balance_notified_at=timezone.now())
        )
        if claimed:
            transaction.on_commit(lambda: notify_low_balance.enqueue(account_id=account.pk))
    level = account.usage_alert_level()
    if level > account.usage_alert_sent_this_period():
        # None sent in this period, or a lower threshold: one e-mail for the highest one reached.
        claimed = (
            BillingAccount.objects.filter(pk=account.pk)
            .filter(
                Q(usage_alert_period__isnull=True)
                | ~Q(usage_alert_period=F("period_started_at"))
                | Q(usage_alert_sent__lt=level)
            )
            .update(usage_alert_sent=level, usage_alert_period=F("period_started_at"))
        )
        if claimed:
            transaction.on_commit(lambda: notify_usage_alert.enqueue(account_id=account.pk, threshold=level))


def refund_credits(
    user, *, reference: str, reason: str = "Render failed", usage_key: str | None = None, usage_template: str = ""
) -> int | None:
    """Give back what the render `reference` cost, to the part of the balance it came from.

    The refund counts against the rollup of `usage_key` (default: the API key that paid for
    the render, "" when it was not a key) and `usage_template`, so a failed render nets to 0.
    Returns the new balance, or None when there was no charge or it was refunded already.
    """
    account = open_account(user)
    charge = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.RENDER, reference=reference).first()
    if charge is None:
        return None
    restore = -charge.carryover_amount
    if usage_key is None:
        usage_key = charge.created_by if charge.created_by.startswith("key_") else ""
    try:
        with transaction.atomic():
            entry = _apply(
                account,
                -charge.amount,
                kind=LedgerEntry.Kind.REFUND,
                carryover=lambda amount: F("carryover_credits") + restore,
                reference=reference,
                reason=reason,
                usage_key=usage_key,
                usage_template=usage_template,
            )
    except IntegrityError:  # the unique constraint: refunded already
        return None
    return entry.balance_after


def adjust_credits(
    user,
    *,
    amount: int,
    kind: str = LedgerEntry.Kind.GRANT,
    reason: str = "",
    created_by: str = "",
    actor=None,
    request=None,
) -> int:
    """Add (or, negative, remove) credits through the ledger; returns the new balance.

    Granted credits carry over from period to period, like purchased ones.
    Raises NegativeBalance when removing more than the balance holds. Writes a
    credits.granted (or credits.removed) audit event by `actor` (None: `created_by`).
    """
    account = open_account(user)
    with transaction.atomic():
        entry = _apply(
            account,
            amount,
            kind=kind,
            carryover=_carry if amount > 0 else _spend,
            reason=reason,
            created_by=created_by,
        )
        _audit_credits(user, "credits.granted" if amount > 0 else "credits.removed", entry, actor, request)
    return entry.balance_after


def _audit_credits(user, action: str, entry: LedgerEntry, actor, request) -> None:
    details = {"amount": entry.amount, "balance_after": entry.balance_after, "kind": entry.kind, "reason": entry.reason}
    if entry.created_by:
        details["by"] = entry.created_by
    # The balance is the user's until phase 2 moves it: its workspace is the target.
    workspace = personal_workspace(user)
    audit.record(workspace, actor, action, workspace.public_id, details, request)


def set_balance(user, *, balance: int, reason: str = "", created_by: str = "", actor=None) -> int:
    """Bring the balance to exactly `balance` with one adjustment row (and a credits.set audit event)."""
    if balance < 0:
        raise NegativeBalance
    account = open_account(user)
    with transaction.atomic():
        current = BillingAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        if balance != current:
            entry = _apply(
                account,
                balance - current,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                carryover=_carry if balance > current else _spend,
                reason=reason,
                created_by=created_by,
            )
            _audit_credits(user, "credits.set", entry, actor, None)
    return balance


def add_plan_credits(
    account: BillingAccount, amount: int, *, kind: str, reason: str, reference: str = "", created_by: str = ""
) -> None:
    """Credits for this period only (upgrades); the caller holds a transaction."""
    if amount:
        _apply(account, amount, kind=kind, carryover=_keep, reason=reason, reference=reference, created_by=created_by)


def add_carryover_credits(
    account: BillingAccount, amount: int, *, kind: str, reason: str, reference: str, created_by: str = ""
) -> None:
    """Credits that never expire (purchases); the caller holds a transaction."""
    _apply(account, amount, kind=kind, carryover=_carry, reason=reason, reference=reference, created_by=created_by)


def refill(
    account: BillingAccount, *, monthly_credits: int, reason: str, reference: str = "", created_by: str = ""
) -> None:
    """Replace this period's plan credits with `monthly_credits`; carry-over stays. Caller holds a transaction.

    `reference` names the payment that paid for the period (empty for a free plan).
    """
    current = BillingAccount.objects.select_for_update().get(pk=account.pk)
    amount = monthly_credits - current.plan_credits
    _apply(
        account,
        amount,
        kind=LedgerEntry.Kind.REFILL,
        carryover=_keep,
        reason=reason,
        reference=reference,
        created_by=created_by,
    )


# The ledger rows that count as usage: renders, and refunds of renders.
USAGE_KINDS = (LedgerEntry.Kind.RENDER, LedgerEntry.Kind.REFUND)


def used_this_period(account: BillingAccount) -> int:
    """Credits spent on renders (net of refunds) this period: the counter, one row."""
    return BillingAccount.objects.values_list("used_this_period", flat=True).get(pk=account.pk)


def used_since(account: BillingAccount, start: datetime) -> int:
    """The same figure summed from the ledger (a new period's start, and check_ledger)."""
    spent = LedgerEntry.objects.filter(account=account, kind__in=USAGE_KINDS, created_at__gte=start).aggregate(
        total=Sum("amount")
    )["total"]
    return -(spent or 0)


def start_usage_period(account: BillingAccount) -> None:
    """Set the counter for the period that now starts at `account.period_started_at`.
    Renders after that moment but before the renewal ran already belong to it. Caller holds the lock."""
    account.used_this_period = used_since(account, account.period_started_at)
    BillingAccount.objects.filter(pk=account.pk).update(used_this_period=account.used_this_period)


def ledger_drift(account: BillingAccount) -> tuple[int, int] | None:
    """None when the balance and its carry-over part equal the sums of the ledger; else both differences."""
    sums = LedgerEntry.objects.filter(account=account).aggregate(
        balance=Sum("amount"), carryover=Sum("carryover_amount")
    )
    balance_drift = account.balance - (sums["balance"] or 0)
    carryover_drift = account.carryover_credits - (sums["carryover"] or 0)
    return None if balance_drift == carryover_drift == 0 else (balance_drift, carryover_drift)


def usage_drift(account: BillingAccount) -> int:
    """How far the usage counter is from the ledger's renders and refunds this period (0: none)."""
    return account.used_this_period - used_since(account, account.period_started_at)


def rollup_drift(account: BillingAccount) -> int:
    """How far the daily rollups' credits are from all the ledger's renders and refunds (0: none)."""
    rolled_up = UsageDay.objects.filter(user_id=account.user_id).aggregate(total=Sum("credits_used"))["total"]
    spent = LedgerEntry.objects.filter(account=account, kind__in=USAGE_KINDS).aggregate(total=Sum("amount"))["total"]
    return (rolled_up or 0) - -(spent or 0)
