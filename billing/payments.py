"""Buying credits and paid plans through a payment provider (docs/billing.md).

`PAYMENT_PROVIDER` chooses: `manual` (an invoice or bank transfer: a purchase
is a pending payment that a staff user marks paid in admin), `stripe`, or
nothing (nothing can be bought; admins can still grant credits). Every
purchase or plan change is first quoted (`quote_plan`, `quote_pack`: what it
charges and what it changes, shown on a confirmation page) and then confirmed.
Nothing is granted before its payment is completed, and a payment is completed
exactly once: the pending → completed transition is one conditional UPDATE and
the ledger rows it writes are unique per payment.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from billing import ledger, plans, stripe_billing
from billing.models import BillingAccount, CreditPack, LedgerEntry, Payment, Plan


class PaymentError(Exception):
    """The purchase cannot go ahead; nothing was charged or granted."""


class PaymentsNotConfigured(PaymentError):
    def __init__(self):
        super().__init__("Payments are not configured on this server: nothing can be bought.")


class PaymentNotApplicable(PaymentError):
    """The account changed since the payment was made (an upgrade from a period that is over)."""


def provider_name() -> str | None:
    """ "stripe", "manual", or None when payments are not configured."""
    return settings.PAYMENT_PROVIDER or None


class Action:
    PACK = "pack"  # buy a credit pack
    START = "start"  # a paid plan for a month from when it is paid
    RENEW = "renew"  # pay the current paid plan's next month ahead (manual)
    UPGRADE = "upgrade"  # a higher plan at once, paying the difference
    DOWNGRADE = "downgrade"  # a lower paid plan from the end of the paid period
    TO_FREE = "to_free"  # a free plan from the end of the period
    KEEP = "keep"  # stay on the current plan: cancel a scheduled change
    NOTHING = "nothing"  # already on it

    PAID = (PACK, START, RENEW, UPGRADE, DOWNGRADE)


@dataclass(frozen=True)
class Quote:
    """What confirming a purchase or plan change charges and changes, before it is confirmed."""

    action: str
    provider: str | None
    plan: Plan | None = None
    pack: CreditPack | None = None
    from_plan: Plan | None = None
    charge_cents: int = 0  # charged when confirmed (or, manual, invoiced)
    monthly_cents: int = 0  # charged again every month (Stripe subscriptions)
    period: tuple[datetime, datetime] | None = None  # the period paid for, when known now
    changes: list[str] = field(default_factory=list)
    proration_date: int | None = None  # Stripe upgrades: the moment the prorated charge is computed for

    @property
    def needs_payment(self) -> bool:
        return self.action in Action.PAID

    @property
    def allowed(self) -> bool:
        return self.action != Action.NOTHING and (self.provider is not None or not self.needs_payment)


@dataclass(frozen=True)
class Checkout:
    payment: Payment | None
    redirect_url: str | None  # where to send the buyer (Stripe); None when done here


def quote_pack(user, *, pack: CreditPack) -> Quote:
    provider = provider_name()
    when = "when the payment is marked paid" if provider == "manual" else "once the payment goes through"
    return Quote(
        action=Action.PACK,
        provider=provider,
        pack=pack,
        charge_cents=pack.price_cents,
        changes=[f"{pack.credits:,} bought credits are added {when}; bought credits never expire."],
    )


def quote_plan(user, *, plan: Plan, now: datetime | None = None, proration_date: int | None = None) -> Quote:
    """What choosing `plan` would do for `user` now, with the configured provider."""
    now = now or timezone.now()
    provider = provider_name()
    account = ledger.open_account(user)
    account = BillingAccount.objects.select_related("plan", "pending_plan", "user").get(pk=account.pk)
    if provider == "stripe":
        try:
            return _quote_stripe_plan(account, plan, now, proration_date or int(time.time()))
        except stripe_billing.StripeUnavailable as exc:
            raise PaymentError(str(exc)) from exc
    current, paid_now = account.plan, plans.in_paid_period(account, now)
    if plan.pk == current.pk and account.pending_plan_id:
        return Quote(
            action=Action.KEEP,
            provider=provider,
            plan=plan,
            changes=[
                f"You stay on {plan.name} after {account.period_ends_at:%-d %b %Y}; the scheduled change "
                "is cancelled. Nothing is charged now."
            ],
        )
    if not plan.is_paid:
        if plan.pk == current.pk:
            return Quote(action=Action.NOTHING, provider=provider, plan=plan)
        return Quote(
            action=Action.TO_FREE,
            provider=provider,
            plan=plan,
            changes=[
                f"You keep {current.name} until {account.period_ends_at:%-d %b %Y}, then move to {plan.name} "
                f"({plan.monthly_credits:,} plan credits a month). Nothing is charged.",
            ],
        )
    if plan.pk == current.pk and paid_now:
        start, end = plans.next_period_after(account, account.paid_until)
        return Quote(
            action=Action.RENEW,
            provider=provider,
            plan=plan,
            charge_cents=plan.price_cents,
            period=(start, end),
            changes=[
                f"Pays for {plan.name} from {start:%-d %b %Y} to {end:%-d %b %Y}: its {plan.monthly_credits:,} "
                "plan credits arrive when that period starts."
            ],
        )
    if paid_now and plans.is_upgrade(current, plan):
        difference = plan.monthly_credits - current.monthly_credits
        return Quote(
            action=Action.UPGRADE,
            provider=provider,
            plan=plan,
            from_plan=current,
            charge_cents=max(plan.price_cents - current.price_cents, 0),
            period=(account.period_started_at, account.period_ends_at),
            changes=[
                f"You move to {plan.name} at once, for the rest of this period (to "
                f"{account.period_ends_at:%-d %b %Y}), once the payment is received.",
                f"{difference:,} plan credits are added at once (the difference between the plans).",
            ],
        )
    if paid_now:
        start, end = plans.next_period_after(account, account.paid_until)
        return Quote(
            action=Action.DOWNGRADE,
            provider=provider,
            plan=plan,
            charge_cents=plan.price_cents,
            period=(start, end),
            changes=[
                f"You keep {current.name} until {account.paid_until:%-d %b %Y}, then {plan.name} from "
                f"{start:%-d %b %Y} to {end:%-d %b %Y} with {plan.monthly_credits:,} plan credits."
            ],
        )
    return Quote(
        action=Action.START,
        provider=provider,
        plan=plan,
        charge_cents=plan.price_cents,
        changes=[
            f"{plan.name} for one month from the day the payment is received, with {plan.monthly_credits:,} plan "
            "credits (they replace this period's plan credits; bought credits stay).",
            "After that month the account returns to Free unless the next month is paid for.",
        ],
    )


def _quote_stripe_plan(account: BillingAccount, plan: Plan, now: datetime, proration_date: int) -> Quote:
    """With Stripe a paid plan is a subscription: started through Checkout, changed in place."""
    current = account.plan
    subscribed = plans.in_paid_period(account, now) and stripe_billing.live_subscription(account) is not None
    ends = f"{account.period_ends_at:%-d %b %Y}"
    base = {"provider": "stripe", "plan": plan}
    if plan.pk == current.pk and account.pending_plan_id:
        return Quote(
            action=Action.KEEP,
            monthly_cents=plan.price_cents,
            changes=[f"Your subscription stays on {plan.name} after {ends}; the scheduled change is cancelled."],
            **base,
        )
    if not plan.is_paid:
        if plan.pk == current.pk:
            return Quote(action=Action.NOTHING, **base)
        return Quote(
            action=Action.TO_FREE,
            changes=[
                f"The subscription is cancelled at the end of the paid period: you keep {current.name} until "
                f"{ends}, then move to {plan.name}. Nothing more is charged."
            ],
            **base,
        )
    if subscribed and plan.pk == current.pk:
        return Quote(action=Action.NOTHING, **base)
    if subscribed and plans.is_upgrade(current, plan):
        charge = stripe_billing.preview_upgrade(account, plan, proration_date=proration_date)
        difference = plan.monthly_credits - current.monthly_credits
        return Quote(
            action=Action.UPGRADE,
            from_plan=current,
            charge_cents=charge,
            monthly_cents=plan.price_cents,
            period=(account.period_started_at, account.period_ends_at),
            proration_date=proration_date,
            changes=[
                f"You move to {plan.name} at once; the card on file is charged the prorated difference for the "
                f"rest of this period (to {ends}), then {plan.price_cents / 100:,.2f} USD a month.",
                f"{difference:,} plan credits are added at once (the difference between the plans).",
            ],
            **base,
        )
    if subscribed:
        return Quote(
            action=Action.DOWNGRADE,
            monthly_cents=plan.price_cents,
            changes=[
                f"You keep {current.name} until {ends}; from then the subscription bills {plan.name}, with "
                f"{plan.monthly_credits:,} plan credits a month. Nothing is charged now."
            ],
            **base,
        )
    return Quote(
        action=Action.START,
        charge_cents=plan.price_cents,
        monthly_cents=plan.price_cents,
        changes=[
            f"A monthly {plan.name} subscription, paid on Stripe's checkout page. Each paid month starts a period "
            f"with {plan.monthly_credits:,} plan credits (they replace this period's plan credits; bought credits "
            "stay).",
            "Cancel any time in the billing portal: the plan then lasts until the end of the paid period.",
        ],
        **base,
    )


def confirm(
    user, quote: Quote, *, success_url: str = "", cancel_url: str = "", actor=None, by: str = "", request=None
) -> Checkout:
    """Carry out a quote the user confirmed: start its payment, or make a change that needs none.

    `actor`, `by` and `request` go to the audit event of a change made here (plan.scheduled)."""
    who = {"actor": actor, "by": by, "request": request}
    if quote.action == Action.NOTHING:
        raise PaymentError(f"You are on the {quote.plan.name} plan already.")
    if quote.provider is None and quote.needs_payment:
        raise PaymentsNotConfigured
    account = ledger.open_account(user)
    success_url = success_url or settings.PUBLIC_BASE_URL + "/dashboard/billing?paid=1"
    cancel_url = cancel_url or settings.PUBLIC_BASE_URL + "/dashboard/billing?cancelled=1"
    try:
        if quote.provider == "stripe":
            return _confirm_stripe(account, quote, success_url=success_url, cancel_url=cancel_url, who=who)
    except stripe_billing.StripeUnavailable as exc:
        raise PaymentError(str(exc)) from exc
    if not quote.needs_payment:
        plans.schedule_plan(user, plan=quote.plan, **who)
        return Checkout(payment=None, redirect_url=None)
    return Checkout(payment=_pending_payment(account, quote), redirect_url=None)


def _pending_payment(account: BillingAccount, quote: Quote) -> Payment:
    return Payment.objects.create(
        account=account,
        kind=Payment.Kind.PACK if quote.pack else Payment.Kind.PLAN,
        plan=quote.plan,
        pack=quote.pack,
        from_plan=quote.from_plan,
        provider=quote.provider,
        amount_cents=quote.charge_cents,
    )


def _confirm_stripe(account: BillingAccount, quote: Quote, *, success_url: str, cancel_url: str, who: dict) -> Checkout:
    if quote.action == Action.PACK:
        payment = _pending_payment(account, quote)
        url = stripe_billing.checkout_pack(payment, success_url=success_url, cancel_url=cancel_url)
        return Checkout(payment=payment, redirect_url=url)
    if quote.action == Action.START:
        url = stripe_billing.checkout_subscription(account, quote.plan, success_url=success_url, cancel_url=cancel_url)
        return Checkout(payment=None, redirect_url=url)
    if quote.action == Action.UPGRADE:
        payment = stripe_billing.upgrade(account, quote.plan, proration_date=quote.proration_date)
        return Checkout(payment=None if payment is None else payment, redirect_url=None)
    # Downgrades, cancelling and keeping the plan take effect at the period's end, at Stripe and here.
    stripe_billing.schedule_change(account, quote.plan)
    plans.schedule_plan(account.user, plan=quote.plan, **who)
    return Checkout(payment=None, redirect_url=None)


def complete_payment(payment: Payment, *, by: str, now: datetime | None = None, actor=None, request=None) -> bool:
    """Grant what `payment` paid for, once; `by` says who marked it paid (in the ledger and in
    the payment.completed audit event, whose actor is `actor`, a staff user, when there is one).

    Returns False when it was completed (or cancelled) already. Raises
    PaymentNotApplicable, changing nothing, for an upgrade whose period is over.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.COMPLETED, completed_at=now, completed_by=by
        )
        if not claimed:
            return False
        payment = Payment.objects.select_related("plan", "pack", "from_plan").get(pk=payment.pk)
        account = plans.lock_account(payment.account_id)
        audit.record_for_owner(
            account.user, actor, "payment.completed", payment.public_id, payment.audit_details(), request
        )
        if payment.kind == Payment.Kind.PACK:
            ledger.add_carryover_credits(
                account,
                payment.pack.credits,
                kind=LedgerEntry.Kind.PURCHASE,
                reason=f"Bought {payment.pack.name} ({payment.provider})",
                reference=payment.public_id,
                created_by=by,
            )
            return True
        if payment.is_upgrade:
            if not plans.in_paid_period(account, now) or not plans.apply_upgrade(account, payment, created_by=by):
                raise PaymentNotApplicable(
                    f"{payment.public_id}: the account is no longer in a paid {payment.from_plan.name} period; "
                    "nothing was changed (refund it or cancel it)."
                )
            payment.period_start, payment.period_end = account.period_started_at, account.period_ends_at
        elif plans.in_paid_period(account, now):
            # Paid ahead: the month after what is paid already; the renewal refills it.
            payment.period_start, payment.period_end = plans.next_period_after(account, account.paid_until)
            account.paid_until = payment.period_end
            account.pending_plan = None if payment.plan_id == account.plan_id else payment.plan
            account.save(update_fields=["paid_until", "pending_plan"])
        else:
            payment.period_start, payment.period_end = now, ledger.add_months(now)
            plans.start_paid_period(account, payment, created_by=by)
        payment.save(update_fields=["period_start", "period_end"])
    return True


def cancel_payment(payment: Payment) -> bool:
    """Cancel a payment still pending (it was never paid); False otherwise."""
    return bool(
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(status=Payment.Status.CANCELLED)
    )
