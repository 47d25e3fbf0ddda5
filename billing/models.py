from django.conf import settings
from django.db import models
from django.db.models import Q


class Plan(models.Model):
    """A subscription plan. Plans are data: seeded by a migration, edited in admin."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    monthly_credits = models.PositiveIntegerField()
    rate_limit_per_minute = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField(default=0, help_text="Monthly price in US cents.")
    is_default = models.BooleanField(default=False, help_text="New accounts start on this plan.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "monthly_credits"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> "Plan":
        return cls.objects.filter(is_default=True).first() or cls.objects.get(slug="free")


class BillingAccount(models.Model):
    """A user's plan, billing period and credit balance.

    The balance changes only together with a LedgerEntry (see billing/ledger.py).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    balance = models.BigIntegerField(default=0)
    period_started_at = models.DateTimeField()
    period_ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="billing_balance_never_negative")]

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}: {self.balance} credits"


class LedgerEntry(models.Model):
    """One append-only change of a balance, with the balance it left."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        RENDER = "render", "Render"
        REFUND = "refund", "Refund"
        REFILL = "refill", "Period refill"
        PURCHASE = "purchase", "Purchase"
        ADJUSTMENT = "adjustment", "Adjustment"

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="ledger")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Credits added (positive) or spent (negative).")
    balance_after = models.BigIntegerField()
    # What the entry is about: an image's public id for renders and refunds.
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.CharField(max_length=255, blank=True, help_text="Who or what caused it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_after_never_negative"),
            # An image is charged at most once and refunded at most once.
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(kind__in=["render", "refund"]),
                name="ledger_one_render_and_refund_per_image",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after}"
