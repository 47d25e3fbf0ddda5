"""Every server-rendered page for signed-in users, and the landing page (docs/dashboard.md)."""

from django.urls import path

from dashboard import audit, billing, designer, docs, keys, pages

urlpatterns = [
    # Overview, gallery, images, usage, webhooks
    path("", pages.home, name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("dashboard/", pages.overview, name="overview"),
    path("dashboard/templates", pages.template_list, name="dash-templates"),
    path(
        "dashboard/templates/<str:template_id>/thumbnail-state",
        pages.template_thumbnail_state,
        name="dash-template-thumbnail-state",
    ),
    path("dashboard/images", pages.image_list, name="dash-images"),
    path("dashboard/images/delete", pages.image_bulk_delete, name="dash-images-delete"),
    path("dashboard/images/<str:image_id>", pages.image_detail, name="dash-image"),
    path("dashboard/images/<str:image_id>/status", pages.image_status, name="dash-image-status"),
    path("dashboard/images/<str:image_id>/rerender", pages.image_rerender, name="dash-image-rerender"),
    path("dashboard/images/<str:image_id>/delete", pages.image_delete, name="dash-image-delete"),
    path("dashboard/usage", pages.usage_page, name="dash-usage"),
    path("dashboard/usage.csv", pages.usage_csv, name="dash-usage-csv"),
    path("dashboard/webhooks", pages.webhook_list, name="dash-webhooks"),
    path("dashboard/webhooks/<str:webhook_id>/edit", pages.webhook_edit, name="dash-webhook-edit"),
    path("dashboard/webhooks/<str:webhook_id>/delete", pages.webhook_delete, name="dash-webhook-delete"),
    path("dashboard/webhooks/<str:webhook_id>/test", pages.webhook_test, name="dash-webhook-test"),
    path("dashboard/webhooks/<str:webhook_id>/enable", pages.webhook_enable, name="dash-webhook-enable"),
    path("dashboard/deliveries/<str:message_id>/redeliver", pages.delivery_redeliver, name="dash-redeliver"),
    # The designer
    path("dashboard/templates/new", designer.new_template, name="designer-new"),
    path("dashboard/fonts/upload", designer.upload_font, name="designer-font-upload"),
    path("dashboard/templates/<str:template_id>/edit", designer.designer, name="designer"),
    path("dashboard/templates/<str:template_id>/preview", designer.preview, name="designer-preview"),
    path("dashboard/templates/<str:template_id>/save", designer.save, name="designer-save"),
    path("dashboard/templates/<str:template_id>/render", designer.render_test_image, name="designer-test-render"),
    path("dashboard/templates/<str:template_id>/duplicate", designer.duplicate_template, name="designer-duplicate"),
    path("dashboard/templates/<str:template_id>/delete", designer.delete_template, name="designer-delete"),
    path("dashboard/templates/<str:template_id>/picture", designer.picture, name="designer-picture"),
    path("dashboard/templates/<str:template_id>/thumbnail.png", designer.thumbnail, name="template-thumbnail"),
    # Profile, API keys and secrets
    path("dashboard/profile", keys.profile, name="profile"),
    path("dashboard/profile/delete", keys.delete_account, name="delete-account"),
    path("dashboard/profile/export.zip", keys.export_account, name="export-account"),
    path("dashboard/usage-alert/dismiss", keys.dismiss_usage_alert, name="dismiss-usage-alert"),
    path("dashboard/keys", keys.keys, name="dash-keys"),
    path("dashboard/keys/<str:key_id>/revoke", keys.revoke_key, name="dash-key-revoke"),
    path("dashboard/keys/<str:key_id>/roll", keys.roll_key, name="dash-key-roll"),
    path("dashboard/secrets/<str:which>", keys.reveal_secret, name="dash-secret"),
    path("dashboard/secrets/<str:which>/roll", keys.roll_secret, name="dash-secret-roll"),
    # Billing
    path("dashboard/billing", billing.billing_page, name="dash-billing"),
    path("dashboard/billing/plan", billing.change_plan, name="dash-billing-plan"),
    path("dashboard/billing/credits", billing.buy_pack, name="dash-billing-pack"),
    path("dashboard/billing/portal", billing.billing_portal, name="dash-billing-portal"),
    path("dashboard/billing/payments/<str:public_id>", billing.payment_receipt, name="dash-billing-payment"),
    # The workspace's audit log (owners and admins)
    path("dashboard/audit", audit.audit_log, name="dash-audit"),
    # Docs: a quick start filled with the user's own ids
    path("dashboard/docs", docs.quick_start, name="dash-docs"),
]
