from django.urls import path
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularJSONAPIView

from api import views

urlpatterns = [
    path("templates", views.TemplateList.as_view(), name="template-list"),
    path("templates/<str:template_id>", views.TemplateDetail.as_view(), name="template-detail"),
    path("templates/<str:template_id>/schema", views.TemplateSchema.as_view(), name="template-schema"),
    path("images", views.ImageList.as_view(), name="image-list"),
    path("images/<str:image_id>", views.ImageDetail.as_view(), name="image-detail"),
    path("images/<str:image_id>/edit", views.ImageEdit.as_view(), name="image-edit"),
    path("webhooks", views.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", views.WebhookDetail.as_view(), name="webhook-detail"),
    path("fonts", views.FontList.as_view(), name="font-list"),
    path("fonts/<str:font_id>", views.FontDetail.as_view(), name="font-detail"),
    path("account", views.AccountDetail.as_view(), name="account"),
    path("usage", views.Usage.as_view(), name="usage"),
    # Public (no key): the OpenAPI document of everything above, as application/json.
    path(
        "openapi.json",
        SpectacularJSONAPIView.as_view(renderer_classes=[OpenApiJsonRenderer2, OpenApiJsonRenderer]),
        name="openapi-schema",
    ),
]
