"""Plans and billing periods: upgrades, downgrades and the monthly refill."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing import ledger
from billing.models import BillingAccount, LedgerEntry, Plan


def change_plan(user, *, plan: Plan) -> BillingAccount:
    """Upgrade at once, granting the difference in monthly credits for this period;
    downgrade at the start of the next period. Choosing the current plan cancels a
    pending downgrade."""
    account = ledger.open_account(user)
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update(of=("self",)).select_related("plan").get(pk=account.pk)
        current = account.plan
        if plan.pk == current.pk:
            account.pending_plan = None
        elif plan.monthly_credits > current.monthly_credits:
            account.plan, account.pending_plan = plan, None
            ledger.add_plan_credits(
                account,
                plan.monthly_credits - current.monthly_credits,
                kind=LedgerEntry.Kind.GRANT,
                reason=f"Upgrade from {current.name} to {plan.name}: the difference for this period",
            )
        else:
            account.pending_plan = plan
        account.save(update_fields=["plan", "pending_plan"])
    return account


def set_plan(user, *, plan: Plan) -> BillingAccount:
    """Put the account on `plan` now without moving credits (admin and command use)."""
    account = ledger.open_account(user, plan=plan)
    if account.plan_id != plan.pk or account.pending_plan_id:
        account.plan, account.pending_plan = plan, None
        account.save(update_fields=["plan", "pending_plan"])
    return account


def renew_due_periods(now: datetime | None = None) -> int:
    """Start a new period for every account whose period has ended; returns how many.

    Idempotent: running it twice, or in two processes at once, renews each account once.
    """
    now = now or timezone.now()
    due = BillingAccount.objects.filter(period_ends_at__lte=now).values_list("pk", flat=True)
    return sum(renew_period(account_id, now=now) for account_id in list(due))


def renew_period(account_id: int, *, now: datetime) -> bool:
    """Apply a pending downgrade and refill this account's plan credits, if its period has ended."""
    with transaction.atomic():
        account = (
            BillingAccount.objects.select_for_update(of=("self",))
            .select_related("plan", "pending_plan")
            .get(pk=account_id)
        )
        if account.period_ends_at > now:
            return False
        if account.pending_plan:
            account.plan, account.pending_plan = account.pending_plan, None
        # Periods missed while nothing ran are skipped: the refill happens once.
        index = periods_started(account.period_anchor, now)
        account.period_started_at = ledger.add_months(account.period_anchor, index)
        account.period_ends_at = ledger.add_months(account.period_anchor, index + 1)
        account.save(update_fields=["plan", "pending_plan", "period_started_at", "period_ends_at"])
        ledger.refill(
            account,
            monthly_credits=account.plan.monthly_credits,
            reason=f"{account.plan.name} plan credits for the period from {account.period_started_at:%Y-%m-%d}",
        )
    return True


def periods_started(anchor: datetime, now: datetime) -> int:
    """The index of the monthly period (from `anchor`) that `now` falls in."""
    index = (now.year - anchor.year) * 12 + now.month - anchor.month
    return index - 1 if ledger.add_months(anchor, index) > now else index
