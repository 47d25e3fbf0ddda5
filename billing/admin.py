from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from accounts import audit
from billing import ledger, payments
from billing.models import (
    BillingAccount,
    CreditPack,
    LedgerEntry,
    Payment,
    Plan,
    RequestLog,
    StripeEvent,
    Subscription,
    UsageDay,
)
from lib.admin import AppendOnlyAdmin, ReadOnlyAdmin


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_credits", "rate_limit_per_minute", "price_cents", "is_default"]
    fields = [
        "name",
        "slug",
        "monthly_credits",
        "rate_limit_per_minute",
        "price_cents",
        "is_default",
        "sort_order",
        "stripe_price_id",
    ]
    list_editable = ["monthly_credits", "rate_limit_per_minute", "price_cents"]
    search_fields = ["name", "slug"]
    list_filter = ["is_default"]


class GrantCreditsForm(ActionForm):
    credits = forms.IntegerField(required=False, help_text="May be negative.")
    reason = forms.CharField(required=False, max_length=255)


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["created_at", "kind", "amount", "balance_after", "carryover_amount", "reference", "reason", "created_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "plan",
        "pending_plan",
        "balance",
        "carryover_credits",
        "period_ends_at",
        "paid_until",
        "created_at",
    ]
    list_filter = ["plan"]
    search_fields = ["user__email", "stripe_customer_id"]
    list_select_related = ["user", "plan"]
    # The balance moves only through the ledger: use the "grant credits" action.
    # Paid periods come from payments: mark a manual payment paid in Payments.
    readonly_fields = [
        "user",
        "balance",
        "carryover_credits",
        "created_at",
        "low_balance_notified_at",
        "paid_until",
        "stripe_customer_id",
    ]
    fields = [
        "user",
        "plan",
        "pending_plan",
        "balance",
        "carryover_credits",
        "period_anchor",
        "period_started_at",
        "period_ends_at",
        "paid_until",
        "stripe_customer_id",
        "low_balance_notified_at",
        "created_at",
    ]
    inlines = [LedgerInline]
    action_form = GrantCreditsForm
    actions = ["grant_credits"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        """An edited plan or period is a change to money: audited with the save (the admin's transaction)."""
        if change and form.changed_data:
            before = BillingAccount.objects.select_related("plan", "pending_plan").get(pk=obj.pk)
            details = {
                name: [str(getattr(before, name) or ""), str(getattr(obj, name) or "")] for name in form.changed_data
            }
            audit.record_for_owner(obj.user, request.user, "billing.edited", "", details, request)
        super().save_model(request, obj, form, change)

    @admin.action(description="Grant credits (amount and reason above)")
    def grant_credits(self, request, queryset):
        amount = request.POST.get("credits", "").strip()
        try:
            amount = int(amount)
        except ValueError:
            self.message_user(request, "Enter a whole number of credits.", messages.ERROR)
            return
        reason = request.POST.get("reason", "").strip() or "Granted in admin"
        done = 0
        for account in queryset.select_related("user"):
            try:
                ledger.adjust_credits(
                    account.user,
                    amount=amount,
                    kind=LedgerEntry.Kind.ADJUSTMENT,
                    reason=reason,
                    created_by=f"admin:{request.user.email}",
                    actor=request.user,
                    request=request,
                )
                done += 1
            except ledger.NegativeBalance:
                self.message_user(request, f"{account.user}: the balance cannot go below zero.", messages.ERROR)
        if done:
            self.message_user(request, f"Granted {amount} credits to {done} account(s).", messages.SUCCESS)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    """Read-only: the ledger is append-only."""

    list_display = ["created_at", "account", "kind", "amount", "balance_after", "reference", "reason", "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = ["account__user__email", "reference", "reason"]
    list_select_related = ["account__user"]
    date_hierarchy = "created_at"


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "credits", "price_cents", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Manual payments are completed here: select the pending ones whose money arrived, "Mark paid"."""

    list_display = [
        "public_id",
        "account",
        "kind",
        "plan",
        "pack",
        "provider",
        "amount_cents",
        "status",
        "created_at",
        "completed_by",
    ]
    list_filter = ["status", "kind", "provider"]
    search_fields = ["public_id", "provider_reference", "account__user__email"]
    list_select_related = ["account__user", "plan", "pack"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["mark_paid", "cancel_pending"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # payment records are kept

    @admin.action(description="Mark paid (manual payments: grants the credits or plan)", permissions=["change"])
    def mark_paid(self, request, queryset):
        done = 0
        for payment in queryset.select_related("account__user"):
            if payment.provider != Payment.Provider.MANUAL or payment.status != Payment.Status.PENDING:
                self.message_user(request, f"{payment.public_id}: only pending manual payments.", messages.WARNING)
                continue
            try:
                if payments.complete_payment(
                    payment, by=f"admin:{request.user.email}", actor=request.user, request=request
                ):
                    done += 1
            except payments.PaymentNotApplicable as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(request, f"Marked {done} payment(s) paid.", messages.SUCCESS)

    @admin.action(description="Cancel (pending payments that will not be paid)", permissions=["change"])
    def cancel_pending(self, request, queryset):
        cancelled = sum(payments.cancel_payment(payment) for payment in queryset)
        self.message_user(request, f"Cancelled {cancelled} pending payment(s).", messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Stripe subscriptions as their events left them; change them in Stripe's dashboard."""

    list_display = ["stripe_id", "account", "plan", "status", "cancel_at_period_end", "current_period_end"]
    list_filter = ["status", "cancel_at_period_end"]
    search_fields = ["stripe_id", "account__user__email"]
    readonly_fields = [f.name for f in Subscription._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "created", "received_at"]
    list_filter = ["type"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "api_key", "method", "endpoint", "status", "duration_ms", "sandbox"]
    list_filter = ["status", "method", "sandbox", "endpoint"]
    search_fields = ["user__email", "endpoint", "api_key__prefix"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "api_key"]


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    """The daily rollups every usage figure is read from (docs/billing.md): read only."""

    list_display = ["day", "user", "key", "template", "requests", "errors", "images", "failed", "credits_used"]
    search_fields = ["user__email", "key", "template"]
    date_hierarchy = "day"
    list_select_related = ["user"]
