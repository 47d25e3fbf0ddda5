from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from billing import ledger
from billing.models import BillingAccount, CreditPack, LedgerEntry, Payment, Plan, RequestLog


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_credits", "rate_limit_per_minute", "price_cents", "is_default"]
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
    list_display = ["user", "plan", "pending_plan", "balance", "carryover_credits", "period_ends_at", "created_at"]
    list_filter = ["plan"]
    search_fields = ["user__email"]
    list_select_related = ["user", "plan"]
    # The balance moves only through the ledger: use the "grant credits" action.
    readonly_fields = ["user", "balance", "carryover_credits", "created_at", "low_balance_notified_at"]
    fields = [
        "user",
        "plan",
        "pending_plan",
        "balance",
        "carryover_credits",
        "period_anchor",
        "period_started_at",
        "period_ends_at",
        "low_balance_notified_at",
        "created_at",
    ]
    inlines = [LedgerInline]
    action_form = GrantCreditsForm
    actions = ["grant_credits"]

    def has_add_permission(self, request) -> bool:
        return False

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
                )
                done += 1
            except ledger.NegativeBalance:
                self.message_user(request, f"{account.user}: the balance cannot go below zero.", messages.ERROR)
        if done:
            self.message_user(request, f"Granted {amount} credits to {done} account(s).", messages.SUCCESS)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only."""

    list_display = ["created_at", "account", "kind", "amount", "balance_after", "reference", "reason", "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = ["account__user__email", "reference", "reason"]
    list_select_related = ["account__user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "credits", "price_cents", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["public_id", "account", "kind", "plan", "pack", "provider", "amount_cents", "status", "created_at"]
    list_filter = ["status", "kind", "provider"]
    search_fields = ["public_id", "provider_reference", "account__user__email"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "api_key", "method", "endpoint", "status", "duration_ms", "sandbox"]
    list_filter = ["status", "method", "sandbox", "endpoint"]
    search_fields = ["user__email", "endpoint", "api_key__prefix"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "api_key"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
