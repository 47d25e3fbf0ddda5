from django.contrib import admin

from templates_app.models import (
    DesignTemplate,
    Image,
    UserFont,
)


@admin.register(DesignTemplate)
class DesignTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "public_id", "owner", "width", "height", "version", "updated_at"]
    list_filter = ["created_at", "updated_at"]
    search_fields = ["name", "public_id", "owner__email"]
    readonly_fields = ["public_id", "version", "created_at", "updated_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "owner",
        "template_public_id",
        "status",
        "format",
        "sandbox",
        "credits_used",
        "render_ms",
        "created_at",
    ]
    list_filter = ["status", "format", "sandbox", "created_at"]
    search_fields = ["public_id", "template_public_id", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    # A render is a record of what happened and what it cost: not editable.
    readonly_fields = [f.name for f in Image._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(UserFont)
class UserFontAdmin(admin.ModelAdmin):
    list_display = ["family", "weight", "italic", "original_format", "file_size", "owner", "created_at"]
    list_filter = ["original_format", "italic"]
    search_fields = ["family", "public_id", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = ["public_id", "original_format", "file", "file_size", "created_at"]
    raw_id_fields = ["owner"]

    def has_add_permission(self, request) -> bool:
        return False  # fonts are parsed and checked on upload (the dashboard or the API)
