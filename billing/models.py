from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.ids import new_public_id


def new_payment_id() -> str:
    return new_public_id("pay")


# Usage alerts: the shares of the period's credits (in %) an owner can be e-mailed at.
USAGE_ALERT_THRESHOLDS = (50, 80, 100)


def default_usage_alerts() -> list[int]:
    return [80, 100]


class Plan(models.Model):
    """A subscription plan. Plans are data: seeded by a migration, edited in admin."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    monthly_credits = models.PositiveIntegerField()
    rate_limit_per_minute = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField(default=0, help_text="Monthly price in US cents.")
    is_default = models.BooleanField(default=False, help_text="New accounts start on this plan.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    stripe_price_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="The Stripe Price billed monthly for this plan; found or created by its lookup key when empty.",
    )

    class Meta:
        ordering = ["sort_order", "monthly_credits"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paid(self) -> bool:
        return self.price_cents > 0

    @classmethod
    def default(cls) -> "Plan":
        return cls.objects.filter(is_default=True).first() or cls.objects.get(slug="free")


class CreditPack(models.Model):
    """A top-up: credits bought once, which carry over from period to period."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "credits"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"


class BillingAccount(models.Model):
    """A user's plan, billing period and credit balance.

    The balance changes only together with a LedgerEntry (see billing/ledger.py).
    `carryover_credits` is the part of the balance that survives the end of a
    period (purchased and granted credits); the rest are this period's plan
    credits, which are spent first and do not roll over.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    # A downgrade waits for the next period.
    pending_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    balance = models.BigIntegerField(default=0)
    carryover_credits = models.BigIntegerField(default=0)
    # Credits spent on renders this period, net of refunds: moved by the same UPDATE as the
    # balance, so reading usage is one row (check_ledger verifies it against the ledger).
    used_this_period = models.BigIntegerField(default=0)
    # Periods run monthly from this moment (so a start on the 31st stays on month ends).
    period_anchor = models.DateTimeField(default=timezone.now)
    period_started_at = models.DateTimeField()
    period_ends_at = models.DateTimeField(db_index=True)
    low_balance_notified_at = models.DateTimeField(null=True, blank=True)
    # Usage alerts (docs/billing.md): the thresholds chosen on the profile page, and the
    # highest one e-mailed in the period that started at `usage_alert_period` — a new
    # period (another start) re-arms them all.
    usage_alerts = models.JSONField(default=default_usage_alerts, blank=True)
    usage_alert_sent = models.PositiveSmallIntegerField(default=0)
    usage_alert_period = models.DateTimeField(null=True, blank=True)
    # The end of the last period paid for on a paid plan: a period after it is
    # never refilled with a paid plan's credits (docs/billing.md).
    paid_until = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="billing_balance_never_negative"),
            models.CheckConstraint(
                condition=Q(carryover_credits__gte=0, carryover_credits__lte=models.F("balance")),
                name="billing_carryover_within_balance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}: {self.balance} credits"

    @property
    def plan_credits(self) -> int:
        return self.balance - self.carryover_credits

    def usage_alert_level(self, used: int | None = None) -> int:
        """The highest chosen threshold (in %) that `used` credits (default: this period's) have reached, or 0."""
        used = self.used_this_period if used is None else used
        monthly = self.plan.monthly_credits
        reached = [t for t in self.usage_alerts if monthly and used * 100 >= t * monthly]
        return max(reached, default=0)

    def choose_usage_alerts(self, thresholds) -> None:
        """Keep the alerts chosen on the profile page (any of USAGE_ALERT_THRESHOLDS)."""
        self.usage_alerts = sorted({int(t) for t in thresholds} & set(USAGE_ALERT_THRESHOLDS))
        self.save(update_fields=["usage_alerts"])

    def usage_alert_sent_this_period(self) -> int:
        """The highest threshold e-mailed this period (0 for none)."""
        if self.usage_alert_period != self.period_started_at:
            return 0
        return self.usage_alert_sent


class LedgerEntry(models.Model):
    """One append-only change of a balance, with the balance it left."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        RENDER = "render", "Render"
        REFUND = "refund", "Refund"
        REFILL = "refill", "Period refill"
        PURCHASE = "purchase", "Purchase"
        ADJUSTMENT = "adjustment", "Adjustment"
        UPGRADE = "upgrade", "Plan upgrade"

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="ledger")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Credits added (positive) or spent (negative).")
    balance_after = models.BigIntegerField()
    # How much of `amount` moved in the carry-over part of the balance.
    carryover_amount = models.BigIntegerField(default=0)
    # What the entry is about: an image's public id for renders and refunds.
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.CharField(max_length=255, blank=True, help_text="Who or what caused it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        # The billing page's history, and usage by time (tests/test_query_plans.py).
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="ledger_account_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_after_never_negative"),
            # An image is charged at most once and refunded at most once; a
            # payment is credited at most once (a pack, an upgrade's difference,
            # or the refill of the period it paid for).
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(kind__in=["render", "refund", "purchase", "upgrade"])
                | (Q(kind="refill") & ~Q(reference="")),
                name="ledger_one_entry_per_charge_or_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after}"


class Payment(models.Model):
    """A plan period, plan upgrade or credit pack paid (or to be paid) through a provider.

    A plan payment pays for exactly one period (`period_start`–`period_end`) of
    `plan`, or, for an upgrade, the difference from `from_plan` for the rest of
    the period. Nothing is granted before it is completed (docs/billing.md).
    """

    class Kind(models.TextChoices):
        PLAN = "plan", "Plan"
        PACK = "pack", "Credit pack"

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed", "Paid"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Provider(models.TextChoices):
        MANUAL = "manual", "Manual (invoice / bank transfer)"
        STRIPE = "stripe", "Stripe"

    public_id = models.CharField(max_length=40, unique=True, default=new_payment_id, editable=False)
    # Payments outlive their account (bookkeeping): deleting the account unlinks them
    # and leaves an opaque label instead of anything personal (docs/billing.md).
    account = models.ForeignKey(
        BillingAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    former_account = models.CharField(max_length=40, blank=True, help_text="Set when the account was deleted.")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Set for an upgrade: the plan paid for this period, whose difference this pays.
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    # The provider's id for it (a Stripe Checkout Session or Invoice id); unique per provider.
    provider_reference = models.CharField(max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    # Stripe's hosted invoice page; manual payments use our own receipt page.
    receipt_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(max_length=255, blank=True, help_text="Who marked it paid.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="payment_account_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payment_unique_provider_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.status}"

    def audit_details(self) -> dict:
        """What the audit log's payment.completed event says about it."""
        details = {"kind": self.kind, "provider": self.provider, "amount_cents": self.amount_cents}
        if self.pack_id:
            details.update(pack=self.pack.slug, credits=self.pack.credits)
        if self.plan_id:
            details["plan"] = self.plan.slug
        if self.from_plan_id:
            details["from_plan"] = self.from_plan.slug
        if self.completed_by:
            details["by"] = self.completed_by
        return details

    @property
    def is_upgrade(self) -> bool:
        return self.from_plan_id is not None

    def describe(self) -> str:
        if self.kind == self.Kind.PACK:
            return f"{self.pack.name} (credits that carry over)"
        if self.is_upgrade:
            return f"Upgrade from {self.from_plan.name} to {self.plan.name} for the rest of the period"
        return f"{self.plan.name} plan, one month"


class Subscription(models.Model):
    """A Stripe subscription of an account, as its last applied event left it."""

    ACTIVE_STATUSES = ("active", "trialing")

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="subscriptions")
    stripe_id = models.CharField(max_length=255, unique=True)
    # The plan Stripe bills at the next renewal (lower than the account's plan after a downgrade).
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=24, help_text="Stripe's status: active, past_due, canceled, …")
    cancel_at_period_end = models.BooleanField(default=False)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # The end of the last period one of its paid invoices started: an invoice
    # for a period ending no later is old (out of order) and starts nothing.
    paid_until = models.DateTimeField(null=True, blank=True)
    # Stripe's `created` of the last event applied: older events change nothing.
    last_event_created = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_id} ({self.status})"

    @property
    def renews(self) -> bool:
        """Stripe will try to charge for the next period."""
        return self.status in self.ACTIVE_STATUSES and not self.cancel_at_period_end


class StripeEvent(models.Model):
    """A Stripe event already handled: a replay of it changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=64)
    created = models.BigIntegerField(help_text="Stripe's timestamp of the event.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class RequestLog(models.Model):
    """One API request, for usage figures (kept REQUEST_LOG_RETENTION_DAYS days)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.SET_NULL, null=True, related_name="+")
    sandbox = models.BooleanField(default=False)
    method = models.CharField(max_length=7)
    endpoint = models.CharField(max_length=64, help_text="The route's name, e.g. image-list.")
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    created_image = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="requestlog_user_time")]

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} {self.status}"


class UsageDay(models.Model):
    """One account's usage on one UTC day, per API key and template: the rollup every usage
    figure is read from (docs/billing.md, "Where usage figures come from").

    Each counter is moved by `billing.usage.add_usage` in the same transaction as the event it
    counts, so reading a range of days costs the same whatever the history. `key` is the API
    key's public id ("" for the dashboard), `template` the template's public id ("" for
    requests and for credits of renders not tied to a template).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="UTC.")
    key = models.CharField(max_length=40, blank=True)
    template = models.CharField(max_length=40, blank=True)
    requests = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    images = models.PositiveBigIntegerField(default=0, help_text="Images created, live and sandbox.")
    sandbox_images = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0, help_text="Of the images created that day, how many failed.")
    # Renders minus refunds on the day of the ledger row: a refund on a later day than its
    # render leaves that later day negative, hence a signed field.
    credits_used = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "key", "template"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "key", "template"], name="usageday_one_row_per_dims")
        ]
        indexes = [models.Index(fields=["user", "day"], name="usageday_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.key or 'dashboard'} {self.template or '-'}"
