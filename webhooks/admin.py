from django.contrib import admin

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["public_id", "url", "mode", "owner", "failing_since", "disabled_at", "created_at"]
    list_filter = ["mode", ("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["public_id", "url", "owner__email"]
    list_select_related = ["owner"]
    # The signing secret is shown once, to its owner: never here.
    exclude = ["secret"]
    readonly_fields = ["public_id", "owner", "mode", "failing_since", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["attempted_at", "status_code", "duration_ms", "error", "response_body"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """A log of what was sent: read-only."""

    list_display = ["message_id", "event_type", "url", "status", "attempts", "next_attempt_at", "owner", "created_at"]
    list_filter = ["status", "event_type", "to_callback_url"]
    search_fields = ["message_id", "url", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "attempted_at", "status_code", "duration_ms", "error"]
    list_filter = ["status_code"]
    search_fields = ["delivery__message_id", "delivery__url", "delivery__owner__email"]
    list_select_related = ["delivery"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in WebhookAttempt._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
