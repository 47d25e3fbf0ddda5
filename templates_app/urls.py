from django.urls import path

from templates_app import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.overview, name="overview"),
    path("dashboard/templates", views.template_list, name="dash-templates"),
    path("dashboard/images", views.image_list, name="dash-images"),
    path("dashboard/images/<str:image_id>", views.image_detail, name="dash-image"),
    path("dashboard/images/<str:image_id>/status", views.image_status, name="dash-image-status"),
    path("dashboard/images/<str:image_id>/rerender", views.image_rerender, name="dash-image-rerender"),
    path("dashboard/images/<str:image_id>/delete", views.image_delete, name="dash-image-delete"),
    path("dashboard/usage", views.usage_page, name="dash-usage"),
    path("dashboard/usage.csv", views.usage_csv, name="dash-usage-csv"),
    path("dashboard/webhooks", views.webhook_list, name="dash-webhooks"),
    path("dashboard/webhooks/<str:webhook_id>/delete", views.webhook_delete, name="dash-webhook-delete"),
    path("dashboard/webhooks/<str:webhook_id>/test", views.webhook_test, name="dash-webhook-test"),
    path("dashboard/webhooks/<str:webhook_id>/enable", views.webhook_enable, name="dash-webhook-enable"),
    path("dashboard/deliveries/<str:message_id>/redeliver", views.delivery_redeliver, name="dash-redeliver"),
]
