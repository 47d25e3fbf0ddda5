"""Every URL of Imagior starts here."""

from django.contrib import admin
from django.urls import include, path

from api.quick_start import quick_start
from api.signed_urls import signed_image
from api.views import ApiDocs
from billing.views import stripe_webhook
from templates_app.views import image_file

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("api/docs/", ApiDocs.as_view(), name="api-docs"),
    path("dashboard/docs", quick_start, name="dash-docs"),
    path("files/images/<str:token>/<str:filename>", image_file, name="image-file"),
    path("", include("templates_app.designer_urls")),
    path("i/<str:template_id>.<str:ext>", signed_image, name="signed-image"),
    path("billing/stripe/webhook", stripe_webhook, name="stripe-webhook"),
    path("admin/", admin.site.urls),
    # The dashboard and the pages around it (docs/dashboard.md).
    path("", include("templates_app.urls")),
    path("", include("accounts.urls")),
    path("", include("billing.urls")),
]

# allauth's rate limits answer with this (our 429 page, with Retry-After).
handler429 = "accounts.views.too_many_requests"
