"""Every /api/v1/ endpoint: parse, call one domain function, serialise."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.errors import ApiProblem
from api.idempotency import idempotent
from api.pagination import query_problem
from api.schema import (
    ETAG,
    IF_MATCH,
    RENDER_HEADERS,
    FontListResponseSerializer,
    TemplateInputSerializer,
    UsageResponseSerializer,
    problems,
)
from api.serializers import (
    AccountSerializer,
    FontUploadSerializer,
    ImageSerializer,
    RenderOptionsSerializer,
    RenderRequestSerializer,
    TemplateSerializer,
    UserFontSerializer,
    WebhookCreatedSerializer,
    WebhookInputSerializer,
    WebhookSerializer,
)
from billing import ledger, usage
from templates_app import rendering, services
from templates_app.models import DesignTemplate, Image
from templates_app.schema import modifications_schema
from webhooks import services as webhooks
from webhooks.models import WebhookSubscription


class ListView(GenericAPIView):
    """A GenericAPIView whose GET pages `get_queryset()` with the default paginator."""

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(summary="List templates", responses={200: TemplateSerializer(many=True)}),
    post=extend_schema(
        summary="Create a template",
        request=TemplateInputSerializer,
        responses={201: TemplateSerializer, **problems(400)},
    ),
)
class TemplateList(ListView):
    serializer_class = TemplateSerializer
    required_scopes = {"GET": "templates:read", "POST": "templates:write"}

    def get_queryset(self):
        templates = DesignTemplate.objects.filter(owner=self.request.user)
        if allowed := getattr(self.request.auth, "allowed_templates", None):
            templates = templates.filter(public_id__in=allowed)
        return templates

    @idempotent
    def post(self, request):
        template = services.create_template(owner=request.user, data=request.data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


def template_response(template) -> Response:
    """The template, with its version as the ETag (what If-Match names)."""
    response = Response(TemplateSerializer(template).data)
    response["ETag"] = f'"{template.version}"'
    return response


def expected_version(request) -> int | None:
    """The version an `If-Match` header names (`"3"`, `3` or `W/"3"`); None without one or for `*`.
    Anything else names no version and can never match: 412."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip('"')
    return int(value) if value.isascii() and value.isdigit() else -1


@extend_schema_view(
    get=extend_schema(summary="Get a template", parameters=[ETAG], responses=TemplateSerializer),
    put=extend_schema(
        summary="Replace a template",
        request=TemplateInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: TemplateSerializer, **problems(412)},
    ),
    patch=extend_schema(
        summary="Update a template (any subset of fields)",
        request=TemplateInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: TemplateSerializer, **problems(412)},
    ),
    delete=extend_schema(summary="Delete a template", responses={204: None}),
)
class TemplateDetail(GenericAPIView):
    serializer_class = TemplateSerializer
    required_scopes = {
        "GET": "templates:read",
        "PUT": "templates:write",
        "PATCH": "templates:write",
        "DELETE": "templates:write",
    }

    def get(self, request, template_id: str):
        return template_response(services.get_template_for(request.user, template_id, api_key=request.auth))

    def put(self, request, template_id: str):
        return self._update(request, template_id, partial=False)

    def patch(self, request, template_id: str):
        return self._update(request, template_id, partial=True)

    def _update(self, request, template_id: str, *, partial: bool):
        template = services.get_template_for(request.user, template_id, api_key=request.auth)
        expected = expected_version(request)
        try:
            template = services.update_template(
                template=template, data=request.data, partial=partial, expected_version=expected
            )
        except services.VersionConflict as conflict:
            raise ApiProblem(
                412,
                "precondition_failed",
                f"If-Match names version {expected}, but the template is now version {conflict.current}.",
                headers={"ETag": f'"{conflict.current}"'},
            ) from None
        return template_response(template)

    def delete(self, request, template_id: str):
        services.delete_template(template=services.get_template_for(request.user, template_id, api_key=request.auth))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        summary="List images, newest first",
        parameters=[
            OpenApiParameter("template", str, description="Only images of this template (`tpl_…`)."),
            OpenApiParameter("status", str, enum=Image.Status.values, description="Only images in this status."),
        ],
        responses={200: ImageSerializer(many=True)},
    ),
    post=extend_schema(
        summary="Render an image",
        description='Synchronous by default: 201 with the finished image. With `"async": true`: 202 with '
        "`status: pending`; poll the image, or give a `callback_url`. Costs 1 credit with a live key.",
        request=RenderRequestSerializer,
        parameters=RENDER_HEADERS,
        responses={
            201: OpenApiResponse(ImageSerializer, description="Rendered."),
            202: OpenApiResponse(ImageSerializer, description="Accepted: rendering asynchronously."),
            **problems(400, 403, 404, 500, render=True),
        },
    ),
)
class ImageList(ListView):
    serializer_class = ImageSerializer
    required_scopes = {"GET": "images:read", "POST": "images:write"}

    def get_queryset(self):
        images = Image.objects.for_key(self.request.auth).select_related("source_image")
        if template := self.request.query_params.get("template"):
            images = images.filter(template_public_id=template)
        if image_status := self.request.query_params.get("status"):
            if image_status not in Image.Status.values:
                raise query_problem("status", f"Must be one of {', '.join(Image.Status.values)}.")
            images = images.filter(status=image_status)
        return images

    @idempotent
    def post(self, request):
        params = RenderRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        image, balance = services.render_image(
            owner=request.user,
            api_key=request.auth,
            template_id=data["template"],
            modifications=data["modifications"],
            fmt=data["format"],
            scale=data["scale"],
            quality=data["quality"],
            metadata=data["metadata"],
            run_async=data["async"],
            callback_url=data["callback_url"],
        )
        return image_response(image, balance)


def image_response(image, balance: int) -> Response:
    """201 with the finished image, or 202 while an asynchronous render is pending."""
    accepted = image.status == Image.Status.PENDING
    response = Response(
        ImageSerializer(image).data, status=status.HTTP_202_ACCEPTED if accepted else status.HTTP_201_CREATED
    )
    response["X-Credits-Remaining"] = str(balance)
    response["Location"] = reverse("image-detail", kwargs={"image_id": image.public_id})
    return response


@extend_schema_view(
    post=extend_schema(
        summary="Edit an image",
        description="A new image from the same template with these modifications merged over the original's "
        "(and optionally another format, scale or quality). Costs like a render.",
        request=RenderOptionsSerializer,
        parameters=RENDER_HEADERS,
        responses={
            201: OpenApiResponse(ImageSerializer, description="Rendered."),
            202: OpenApiResponse(ImageSerializer, description="Accepted: rendering asynchronously."),
            **problems(400, 403, 404, 500, render=True),
        },
    ),
)
class ImageEdit(GenericAPIView):
    """A new image from an existing one with modifications merged over its own."""

    serializer_class = ImageSerializer
    required_scopes = {"POST": "images:write"}

    @idempotent
    def post(self, request, image_id: str):
        params = RenderOptionsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        image, balance = services.edit_image(
            owner=request.user,
            api_key=request.auth,
            image_id=image_id,
            modifications=data["modifications"],
            fmt=data.get("format"),
            scale=data.get("scale"),
            quality=data.get("quality"),
            run_async=data["async"],
            callback_url=data["callback_url"],
        )
        return image_response(image, balance)


@extend_schema_view(
    get=extend_schema(summary="Get an image", responses=ImageSerializer),
    delete=extend_schema(summary="Delete an image and its file", responses={204: None}),
)
class ImageDetail(GenericAPIView):
    serializer_class = ImageSerializer
    required_scopes = {"GET": "images:read", "DELETE": "images:write"}

    def get(self, request, image_id: str):
        return Response(ImageSerializer(services.get_image_for(request.user, image_id, api_key=request.auth)).data)

    def delete(self, request, image_id: str):
        services.delete_image(image=services.get_image_for(request.user, image_id, api_key=request.auth))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(summary="The account, its credits and the key in use", responses=AccountSerializer)
)
class AccountDetail(GenericAPIView):
    serializer_class = AccountSerializer
    required_scopes = {"GET": None}

    def get(self, request):
        account = ledger.open_account(request.user)
        return Response(AccountSerializer({"account": account, "key": request.auth}).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="fonts_list",
        summary="List fonts: the catalogue and this account's uploads",
        responses=FontListResponseSerializer,
    ),
    post=extend_schema(
        summary="Upload a font",
        description="multipart/form-data: `file` (TTF, OTF, WOFF or WOFF2, at most 10 MB), and optionally "
        "`family`, `weight` and `italic` (read from the font when omitted).",
        request={"multipart/form-data": FontUploadSerializer},
        responses={201: UserFontSerializer, **problems(400)},
    ),
)
class FontList(GenericAPIView):
    """The shipped catalogue plus this account's uploads; upload a font (multipart)."""

    serializer_class = UserFontSerializer
    required_scopes = {"GET": "templates:read", "POST": "fonts:write"}
    parser_classes = [MultiPartParser]

    def get(self, request):
        uploads = [
            {
                "family": family["family"],
                "kind": "account",
                "weights": family["weights"],
                "italic": family["italic"],
                "files": UserFontSerializer(family["fonts"], many=True).data,
            }
            for family in services.fonts_by_family(request.user)
        ]
        catalogue = [{**entry, "kind": "catalogue"} for entry in rendering.fonts.catalogue()]
        results = catalogue + uploads
        return Response(
            {"count": len(results), "count_exact": True, "next": None, "previous": None, "results": results}
        )

    @idempotent
    def post(self, request):
        if not request.content_type.startswith("multipart/form-data"):
            raise ApiProblem(400, "validation_error", "Send the font as multipart/form-data with a 'file' field.")
        params = FontUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise ApiProblem(413, "payload_too_large", "Font files are limited to 10 MB.")
        font = services.upload_font(
            owner=request.user,
            data=upload.read(),
            family=params.validated_data["family"],
            weight=params.validated_data["weight"],
            italic=params.validated_data["italic"],
        )
        return Response(UserFontSerializer(font).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Get an uploaded font", responses=UserFontSerializer),
    delete=extend_schema(summary="Delete an uploaded font", responses={204: None}),
)
class FontDetail(GenericAPIView):
    serializer_class = UserFontSerializer
    required_scopes = {"GET": "templates:read", "DELETE": "fonts:write"}

    def get(self, request, font_id: str):
        return Response(UserFontSerializer(services.get_font_for(request.user, font_id)).data)

    def delete(self, request, font_id: str):
        services.delete_font(font=services.get_font_for(request.user, font_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        summary="Usage per day",
        parameters=[
            OpenApiParameter(
                "days", {"type": "integer", "minimum": 1, "maximum": 365}, default=30, description="How many days."
            )
        ],
        responses={200: UsageResponseSerializer, **problems(400)},
    )
)
class Usage(GenericAPIView):
    """Per-day requests, images, credits and errors for the last `?days=` days (1–365, default 30)."""

    required_scopes = {"GET": "usage:read"}

    def get(self, request):
        raw = request.query_params.get("days", "30")
        if not raw.isdigit() or not 1 <= int(raw) <= 365:
            raise ApiProblem(
                400,
                "validation_error",
                "The request has invalid fields.",
                errors=[{"field": "days", "code": "invalid", "message": "Must be a whole number from 1 to 365."}],
            )
        return Response(usage.daily_usage(request.user, days=int(raw)))


@extend_schema_view(
    get=extend_schema(summary="List webhook subscriptions", responses={200: WebhookSerializer(many=True)}),
    post=extend_schema(
        summary="Subscribe to events",
        request=WebhookInputSerializer,
        responses={201: WebhookCreatedSerializer},
    ),
)
class WebhookList(ListView):
    """REST-hook subscriptions of the key's mode: the create answer shows the signing secret, once."""

    serializer_class = WebhookSerializer
    required_scopes = {"GET": "webhooks:read", "POST": "webhooks:write"}

    def get_queryset(self):
        return WebhookSubscription.objects.for_key(self.request.auth)

    @idempotent
    def post(self, request):
        params = WebhookInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        subscription = webhooks.create_subscription(
            owner=request.user,
            mode=request.auth.mode,
            templates=request.auth.allowed_templates,
            request=request,
            **params.validated_data,
        )
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Get a webhook subscription", responses=WebhookSerializer),
    delete=extend_schema(summary="Unsubscribe (pending deliveries are cancelled)", responses={204: None}),
)
class WebhookDetail(GenericAPIView):
    serializer_class = WebhookSerializer
    required_scopes = {"GET": "webhooks:read", "DELETE": "webhooks:write"}

    def get(self, request, webhook_id: str):
        return Response(WebhookSerializer(self._get(request, webhook_id)).data)

    def delete(self, request, webhook_id: str):
        webhooks.delete_subscription(self._get(request, webhook_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _get(self, request, webhook_id: str) -> WebhookSubscription:
        return webhooks.get_subscription_for(request.user, webhook_id, api_key=request.auth)


@extend_schema_view(
    get=extend_schema(
        summary="JSON Schema of a template's modifications",
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description="A JSON Schema (2020-12) document: one `$defs` entry per element."
        ),
    )
)
class TemplateSchema(GenericAPIView):
    """JSON Schema (2020-12) of the modifications this template accepts."""

    required_scopes = {"GET": "templates:read"}

    def get(self, request, template_id: str):
        template = services.get_template_for(request.user, template_id, api_key=request.auth)
        return Response(modifications_schema(template))


class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI at /api/docs/ (public). Its files are ours (drf-spectacular-sidecar, no CDN)
    and it runs no inline script or style, so the site's CSP holds: the "split" view
    serves its start-up script as a file."""

    url_name = "openapi-schema"
    template_name = "api/swagger_ui.html"
