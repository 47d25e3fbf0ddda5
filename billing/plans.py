"""Plans and billing periods: paid periods, upgrades, downgrades and the monthly renewal.

A period on a paid plan exists only when a completed plan payment pays for it
(docs/billing.md): a payment starts a period now or covers the next one, the
renewal refills a paid plan's credits only for a period some payment covers,
and otherwise puts the account on the default (Free) plan. Every refill of a
paid plan and every upgrade names its payment in the ledger row's reference,
which is unique, so a payment is turned into credits at most once.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import personal_workspace
from billing import ledger
from billing.models import BillingAccount, LedgerEntry, Payment, Plan, Subscription

# A Stripe subscription that will renew gets this long after its period ends for
# the renewal invoice to be paid (Stripe finalises renewal invoices about an hour
# after the period ends); the account keeps its current, paid period meanwhile.
STRIPE_RENEWAL_GRACE = timedelta(hours=24)


def lock_account(account_id: int) -> BillingAccount:
    """The account row, locked for this transaction."""
    return (
        BillingAccount.objects.select_for_update(of=("self",))
        .select_related("plan", "pending_plan", "user")
        .get(pk=account_id)
    )


def in_paid_period(account: BillingAccount, now: datetime) -> bool:
    """On a paid plan with the current period paid for."""
    return account.plan.is_paid and account.paid_until is not None and account.paid_until > now


def is_upgrade(current: Plan, target: Plan) -> bool:
    return target.monthly_credits > current.monthly_credits


def schedule_plan(user, *, plan: Plan, actor=None, by: str = "", request=None) -> BillingAccount:
    """Record the plan the account moves to when this period ends (no payment needed).

    Choosing the current plan cancels a scheduled change. A paid plan scheduled
    this way still needs a payment for that period, or the renewal gives Free.
    A change writes a plan.scheduled audit event by `actor` (None: `by`).
    """
    account = ledger.open_account(user)
    with transaction.atomic():
        account = lock_account(account.pk)
        pending = None if plan.pk == account.plan_id else plan
        if pending != account.pending_plan:
            audit_plan(account, "plan.scheduled", pending=pending, actor=actor, by=by, request=request)
        account.pending_plan = pending
        account.save(update_fields=["pending_plan"])
    return account


def audit_plan(
    account: BillingAccount, action: str, *, plan: Plan | None = None, pending: Plan | None = None, **who
) -> None:
    """A plan.changed (to `plan`) or plan.scheduled (`pending` next, None: no change) audit event.
    `who`: actor, by (a system's name when there is no actor), request."""
    details = {"from": account.plan.slug}
    if action == "plan.changed":
        details["to"] = plan.slug
    else:
        details["next"] = pending.slug if pending else None
    if who.get("by"):
        details["by"] = who["by"]
    workspace = personal_workspace(account.user)
    audit.record(workspace, who.get("actor"), action, workspace.public_id, details, who.get("request"))


def set_plan(user, *, plan: Plan, actor=None, by: str = "") -> BillingAccount:
    """Put the account on `plan` now without moving credits or payments (admin and command use).

    A paid plan set this way lasts until the period ends: the renewal needs a payment.
    A change writes a plan.changed audit event.
    """
    account = ledger.open_account(user, plan=plan)
    if account.plan_id != plan.pk or account.pending_plan_id:
        with transaction.atomic():
            if account.plan_id != plan.pk:
                audit_plan(account, "plan.changed", plan=plan, actor=actor, by=by)
            account.plan, account.pending_plan = plan, None
            account.save(update_fields=["plan", "pending_plan"])
    return account


def start_paid_period(account: BillingAccount, payment: Payment, *, created_by: str = "") -> None:
    """Begin the period `payment` paid for, now, with its plan's full credits. Caller holds the account lock.

    The period's plan credits replace what was left of the previous period's.
    """
    plan = payment.plan
    account.plan, account.pending_plan = plan, None
    account.period_anchor = account.period_started_at = payment.period_start
    account.period_ends_at = payment.period_end
    account.paid_until = max(filter(None, [account.paid_until, payment.period_end]))
    account.save(
        update_fields=["plan", "pending_plan", "period_anchor", "period_started_at", "period_ends_at", "paid_until"]
    )
    ledger.start_usage_period(account)
    ledger.refill(
        account,
        monthly_credits=plan.monthly_credits,
        reason=f"{plan.name} plan credits for the paid period from {payment.period_start:%Y-%m-%d}",
        reference=payment.public_id,
        created_by=created_by,
    )


def apply_upgrade(account: BillingAccount, payment: Payment, *, created_by: str = "") -> bool:
    """Move to the upgrade's plan at once and grant the difference in credits for this period, once.

    Caller holds the account lock. False when the account is not on the plan the
    upgrade was paid from (already applied, or the period it was for is over).
    """
    current, target = account.plan, payment.plan
    if LedgerEntry.objects.filter(kind=LedgerEntry.Kind.UPGRADE, reference=payment.public_id).exists():
        return False
    if current.pk != payment.from_plan_id or not is_upgrade(current, target):
        return False
    account.plan, account.pending_plan = target, None
    account.save(update_fields=["plan", "pending_plan"])
    ledger.add_plan_credits(
        account,
        target.monthly_credits - current.monthly_credits,
        kind=LedgerEntry.Kind.UPGRADE,
        reason=f"Upgrade from {current.name} to {target.name}: the difference for this period",
        reference=payment.public_id,
        created_by=created_by,
    )
    return True


def renew_due_periods(now: datetime | None = None) -> int:
    """Start a new period for every account whose period has ended; returns how many.

    Idempotent: running it twice, or in two processes at once, renews each account once.
    """
    now = now or timezone.now()
    due = BillingAccount.objects.filter(period_ends_at__lte=now).values_list("pk", flat=True)
    return sum(renew_period(account_id, now=now) for account_id in list(due))


def renew_period(account_id: int, *, now: datetime) -> bool:
    """Start the next period if this one has ended: on the plan a payment covers it with, else on a free plan.

    A paid plan's credits are refilled only for a period a completed payment
    covers (the refill row names that payment); without one the account falls
    back to the default plan, or to the free plan it scheduled.
    """
    with transaction.atomic():
        account = lock_account(account_id)
        if account.period_ends_at > now or awaiting_stripe_renewal(account, now):
            return False
        # Periods missed while nothing ran are skipped: the refill happens once.
        index = periods_started(account.period_anchor, now)
        start = ledger.add_months(account.period_anchor, index)
        covering = covering_payment(account, start)
        if covering:
            plan, reference = covering.plan, covering.public_id
            account.paid_until = max(filter(None, [account.paid_until, covering.period_end]))
        else:
            wanted = account.pending_plan or account.plan
            plan, reference = (wanted if not wanted.is_paid else Plan.default()), ""
        if plan.pk != account.plan_id:
            audit_plan(account, "plan.changed", plan=plan, by="renewal")
        account.plan, account.pending_plan = plan, None
        account.period_started_at = start
        account.period_ends_at = ledger.add_months(account.period_anchor, index + 1)
        account.save(update_fields=["plan", "pending_plan", "period_started_at", "period_ends_at", "paid_until"])
        ledger.start_usage_period(account)
        paid = " (paid)" if reference else ""
        ledger.refill(
            account,
            monthly_credits=plan.monthly_credits,
            reason=f"{plan.name} plan credits for the period from {start:%Y-%m-%d}{paid}",
            reference=reference,
        )
    return True


def covering_payment(account: BillingAccount, start: datetime) -> Payment | None:
    """A completed, not yet used plan payment for a period that includes `start`."""
    used = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.REFILL).exclude(reference="")
    return (
        Payment.objects.filter(
            account=account,
            kind=Payment.Kind.PLAN,
            from_plan__isnull=True,
            status=Payment.Status.COMPLETED,
            period_start__lte=start,
            period_end__gt=start,
        )
        .exclude(public_id__in=used.values("reference"))
        .select_related("plan")
        .order_by("period_start", "id")
        .first()
    )


def awaiting_stripe_renewal(account: BillingAccount, now: datetime) -> bool:
    """A Stripe subscription will renew this paid period: wait (a while) for its invoice."""
    if not account.plan.is_paid or now >= account.period_ends_at + STRIPE_RENEWAL_GRACE:
        return False
    return Subscription.objects.filter(
        account=account, status__in=Subscription.ACTIVE_STATUSES, cancel_at_period_end=False
    ).exists()


def next_period_after(account: BillingAccount, moment: datetime) -> tuple[datetime, datetime]:
    """The account's monthly period that starts at or after `moment` (a period boundary)."""
    index = periods_started(account.period_anchor, moment)
    start = ledger.add_months(account.period_anchor, index)
    if start < moment:
        index += 1
        start = ledger.add_months(account.period_anchor, index)
    return start, ledger.add_months(account.period_anchor, index + 1)


def periods_started(anchor: datetime, now: datetime) -> int:
    """The index of the monthly period (from `anchor`) that `now` falls in."""
    index = (now.year - anchor.year) * 12 + now.month - anchor.month
    return index - 1 if ledger.add_months(anchor, index) > now else index
