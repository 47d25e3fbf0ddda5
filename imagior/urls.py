"""Every URL of Imagior starts here."""

from django.contrib import admin
from django.urls import include, path

from billing.views import stripe_webhook
from templates_app.views import image_file

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("files/images/<str:token>/<str:filename>", image_file, name="image-file"),
    path("billing/stripe/webhook", stripe_webhook, name="stripe-webhook"),
    path("admin/", admin.site.urls),
]
