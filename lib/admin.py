"""Admin base classes our apps share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows to look at and search: nothing is added or edited here (deleting stays allowed)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """Rows that are history (the ledger, memberships): nothing is added, edited or deleted here."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
