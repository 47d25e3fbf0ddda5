"""Every URL of Imagior starts here."""

from django.contrib import admin
from django.urls import include, path

from api.signed_urls import signed_image
from api.views import ApiDocs
from billing.views import stripe_webhook
from imagior import health
from templates_app import files

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("api/docs/", ApiDocs.as_view(), name="api-docs"),
    path("files/images/<str:token>/<str:filename>", files.image_file, name="image-file"),
    path("files/thumbnails/<str:token>/<str:filename>", files.public_thumbnail, name="template-thumbnail-public"),
    path("i/<str:template_id>.<str:ext>", signed_image, name="signed-image"),
    path("billing/stripe/webhook", stripe_webhook, name="stripe-webhook"),
    path("admin/", admin.site.urls),
    # For operators and load balancers (docs/deploy.md).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # Sign-in (django-allauth) and the dashboard (docs/dashboard.md).
    path("", include("accounts.urls")),
    path("", include("dashboard.urls")),
]

# allauth's rate limits answer with this (our 429 page, with Retry-After).
handler429 = "accounts.views.too_many_requests"
