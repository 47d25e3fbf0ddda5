from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from accounts import audit
from accounts.models import ApiKey, AuditEvent, IdempotencyRecord, Membership, User, Workspace
from lib.admin import AppendOnlyAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Secrets", {"fields": ["callback_secret", "url_signing_secret"]}),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "workspace",
        "mode",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["mode", ("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "public_id", "user__email", "workspace__public_id"]
    readonly_fields = ["public_id", "workspace", "prefix", "key_hash", "created_at", "last_used_at"]
    list_select_related = ["user", "workspace"]
    actions = ["revoke_keys"]

    def has_add_permission(self, request) -> bool:
        # A key's full text can only be shown once, at creation: that happens in
        # the dashboard or `manage.py create_api_key`, not here.
        return False

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        for key in queryset.select_related("workspace"):
            key.revoke(actor=request.user, request=request)


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        """Exactly one owner: say so on the form instead of the database's IntegrityError."""
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        for form in self.forms:
            stays_owner = form in kept and form.cleaned_data.get("role") == Membership.Role.OWNER
            if form.instance.pk and form.instance.personal and not stays_owner:
                raise ValidationError("The owner of a personal workspace stays its owner.")
        owners = sum(1 for form in kept if form.cleaned_data.get("role") == Membership.Role.OWNER)
        if owners != 1:
            raise ValidationError("A workspace has exactly one owner.")


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    fields = ["user", "role", "personal", "created_at"]
    readonly_fields = ["personal", "created_at"]
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    """Workspaces and their members (docs/workspaces.md). One owner each: the database refuses a second."""

    list_display = ["name", "public_id", "personal", "created_at"]
    list_filter = ["personal"]
    search_fields = ["name", "public_id", "memberships__user__email"]
    readonly_fields = ["public_id", "personal", "created_at"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        """Members added, removed or given another role here are audited like add_member's,
        in the admin's transaction, with the staff user as the actor."""
        old_roles = {f.instance.pk: f.initial.get("role") for f in formset.initial_forms}
        super().save_formset(request, form, formset, change)
        if formset.model is not Membership:
            return
        workspace = form.instance
        for membership in formset.new_objects:
            details = {"role": membership.role, "by": "admin"}
            audit.record(workspace, request.user, "member.added", membership.user.email, details, request)
        for membership, fields in formset.changed_objects:
            if "role" in fields:
                details = {"from": old_roles.get(membership.pk), "to": membership.role, "by": "admin"}
                audit.record(workspace, request.user, "member.role_changed", membership.user.email, details, request)
        for membership in formset.deleted_objects:
            details = {"role": membership.role, "by": "admin"}
            audit.record(workspace, request.user, "member.removed", membership.user.email, details, request)


@admin.register(Membership)
class MembershipAdmin(AppendOnlyAdmin):
    """Read only: memberships change on their workspace's page, where the one-owner rule is checked."""

    list_display = ["user", "workspace", "role", "personal", "created_at"]
    list_filter = ["role", "personal"]
    search_fields = ["user__email", "workspace__name", "workspace__public_id"]
    readonly_fields = ["personal", "created_at"]
    list_select_related = ["user", "workspace"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Stored first answers to POSTs with an Idempotency-Key: read-only; delete one to release its key."""

    list_display = ["key", "user", "completed", "response_status", "created_at"]
    list_filter = ["completed", "created_at"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]
    exclude = ["response_body"]  # may hold an image's signed URL; the status and headers say enough

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in IdempotencyRecord._meta.fields if field.name != "response_body"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    """The audit log (docs/workspaces.md): append-only, here as on the dashboard's audit page."""

    list_display = ["created_at", "workspace", "action", "target", "actor_email", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["workspace__public_id", "workspace__name", "actor_email", "action", "target"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"


# The admin's own login form has no rate limit and no second factor: send it
# through the site's login (allauth: limited per client IP, MFA), then back.
admin.site.login = secure_admin_login(admin.site.login)
