"""Every URL of Imagior starts here."""

from django.contrib import admin
from django.urls import include, path

from api.signed_urls import signed_image
from billing.views import stripe_webhook
from templates_app.views import image_file

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("files/images/<str:token>/<str:filename>", image_file, name="image-file"),
    path("i/<str:template_id>.<str:ext>", signed_image, name="signed-image"),
    path("billing/stripe/webhook", stripe_webhook, name="stripe-webhook"),
    path("admin/", admin.site.urls),
]
