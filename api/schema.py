"""The OpenAPI description of /api/v1/ (drf-spectacular).

Here: the Problem shape and the problem answers operations share, the response
headers every answer carries, the shapes of answers the views build by hand, the
element and modification schemas, and the Bearer security scheme. The views
only say what is particular to them (api/views.py).
"""

import uritemplate
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from api.permissions import required_scope
from api.serializers import UserFontSerializer
from lib.problems import CONTENT_TYPE, TITLES
from templates_app.elements import (
    COLOR_RE,
    ELEMENT_TYPES,
    MAX_ELEMENTS,
    NAME_RE,
    TEMPLATE_FIELDS,
    Field,
    fields_for,
)
from templates_app.schema import base_field_schema

# --- Problems (RFC 9457) --------------------------------------------------------


# Every `code` a problem may carry (docs/api.md), in one enum: ProblemCodeEnum.
PROBLEM_CODES = list(TITLES)


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Where: `modifications[0].name`, `elements[2].width`, `body`…")
    code = serializers.CharField(help_text="What: `required`, `invalid`, `unknown_element`…")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem, served as application/problem+json."""

    type = serializers.URLField(help_text="`https://imagior.dev/problems/<code>`")
    title = serializers.CharField()
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    detail = serializers.CharField(help_text="What went wrong, for a human.")
    code = serializers.ChoiceField(choices=PROBLEM_CODES, help_text="What went wrong, for a program.")
    request_id = serializers.CharField(help_text="The X-Request-Id of this request (`req_…`).")
    errors = ProblemFieldErrorSerializer(many=True, required=False, help_text="Per-field problems, when there are.")


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


# One reusable answer per status, with the `code`s it may carry (docs/api.md).
PROBLEMS = {
    400: _problem(
        "`invalid_json` (the body is not JSON), `validation_error` (with `errors`: fields and what is "
        "wrong with them; also a bad `Idempotency-Key`)."
    ),
    401: _problem(
        "`authentication_required` (no `Authorization` header) or `invalid_api_key` (an unknown, malformed "
        "or revoked key). Comes with `WWW-Authenticate: Bearer`."
    ),
    403: _problem(
        "The key's whitelists refuse this caller (`ip_not_allowed`, `origin_not_allowed`), or it is "
        "restricted: `scope_denied` (naming the scope), `template_not_allowed`."
    ),
    404: _problem("`not_found`: no such object, or it belongs to another account."),
    405: _problem("`method_not_allowed`: this path does not answer that method."),
    409: _problem(
        "`idempotency_conflict`: this `Idempotency-Key` was used with another body (or its first request "
        "is still running)."
    ),
    412: _problem(
        "`precondition_failed`: `If-Match` names another version than the template's current one (its ETag)."
    ),
    413: _problem("`payload_too_large`: JSON bodies are limited to 1 MB, font uploads to 10 MB."),
    429: _problem(
        "`rate_limited`: over the key's requests per minute (or too many failed authentications from "
        "this address). `Retry-After` says when to try again."
    ),
    500: _problem("`internal_error`: our fault, never a traceback; quote the `request_id`."),
    503: _problem("`service_unavailable`: the database is not answering (a restart); retry after `Retry-After`."),
}
RENDER_PROBLEMS = {
    400: _problem(
        "`invalid_json`, `validation_error` (with `errors`), `unknown_element` (with a did-you-mean), "
        "`image_fetch_failed` (an image `src` could not be fetched), `output_too_large`."
    ),
    403: _problem(
        "`insufficient_credits` (nothing was rendered; `X-Credits-Remaining` gives the balance), "
        "`email_not_verified` (a live render before the account confirmed its e-mail), the key's "
        "whitelists refuse this caller (`ip_not_allowed`, `origin_not_allowed`), or it is restricted: "
        "`scope_denied`, `template_not_allowed`."
    ),
    500: _problem("`render_failed` (nothing is charged) or `internal_error`."),
}


def problems(*statuses: int, render: bool = False) -> dict:
    """`responses` entries for these problem statuses, as application/problem+json."""
    table = {**PROBLEMS, **RENDER_PROBLEMS} if render else PROBLEMS
    return {(status, CONTENT_TYPE): table[status] for status in statuses}


# --- Headers ------------------------------------------------------------------

IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^(\*|(W/)?"?[0-9]+"?)$'},
    OpenApiParameter.HEADER,
    description=(
        'The template\'s version as its ETag (`"3"`): the change is made only if the template is still at '
        "that version, else 412 `precondition_failed`. Without it the last write wins."
    ),
)
ETAG = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=True, description='The template\'s version, quoted (`"3"`).'
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    description=(
        "Makes a POST safe to retry: the same key with the same body replays the first answer (and charges "
        "once); with another body it is 409 `idempotency_conflict`. Kept at least 24 hours."
    ),
)
RESPONSE_HEADERS = [
    OpenApiParameter(
        "X-Request-Id",
        str,
        OpenApiParameter.HEADER,
        response=True,
        required=True,
        description="This request's id (`req_…`), also in problem bodies.",
    ),
    OpenApiParameter(
        "RateLimit-Limit",
        int,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests this key may make per minute.",
    ),
    OpenApiParameter(
        "RateLimit-Remaining",
        int,
        OpenApiParameter.HEADER,
        response=True,
        description="Requests left in the current minute.",
    ),
    OpenApiParameter(
        "RateLimit-Reset",
        int,
        OpenApiParameter.HEADER,
        response=True,
        description="Seconds until the current minute's count resets.",
    ),
    OpenApiParameter(
        "Retry-After",
        int,
        OpenApiParameter.HEADER,
        response=[429],
        required=True,
        description="Seconds to wait before trying again.",
    ),
    OpenApiParameter(
        "WWW-Authenticate",
        str,
        OpenApiParameter.HEADER,
        response=[401],
        description='`Bearer realm="imagior"`',
    ),
]
RENDER_HEADERS = [
    OpenApiParameter(
        "X-Credits-Remaining",
        int,
        OpenApiParameter.HEADER,
        response=[201, 202, 403],
        description="The account's credit balance after this request.",
    ),
    OpenApiParameter(
        "Location",
        str,
        OpenApiParameter.HEADER,
        response=[201, 202],
        description="The new image's URL in the API (`/api/v1/images/img_…`).",
    ),
]


class ImagiorAutoSchema(AutoSchema):
    """Adds what every /api/v1/ operation shares: the problems any request may meet
    (401, 403, 429 and 500; 404 with an id in the path; 400, 409 and 413 with a body)
    and the response headers. A view's own `@extend_schema` answers take precedence."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self.view is not None and hasattr(self.view, "required_scopes"):
            scope = required_scope(self.view, self.method)
            # Shown in the API reference; clients and the docs read the extension.
            operation["x-required-scope"] = scope
            note = (
                f"Needs the `{scope}` scope (a restricted key without it gets 403 `scope_denied`)."
                if scope
                else "Any key may call this, restricted or not."
            )
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
        return operation

    def get_description(self):
        # Docstrings are notes for developers; the API's descriptions are given in @extend_schema.
        return ""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request":
            schema["additionalProperties"] = False  # every input refuses fields it does not know
        if not vars(type(serializer)).get("__doc__"):  # not one inherited from a base class
            schema.pop("description", None)
        return schema

    def get_override_parameters(self):
        parameters = super().get_override_parameters() + RESPONSE_HEADERS
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.problem_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    PROBLEMS[status], str(status), [CONTENT_TYPE], direction
                )
        return dict(sorted(responses.items()))

    def problem_statuses(self) -> list[int]:
        statuses = [401, 403, 429, 500, 503]
        if uritemplate.variables(self.path):
            statuses.append(404)
        if self.method == "GET" and self._is_list_view():
            statuses.append(400)  # a bad ?limit=, ?offset= or filter
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += [400, 413]
        if self.method == "POST":
            statuses.append(409)
        return statuses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "imk_live_… or imk_test_…",
            "description": "An API key from the dashboard: `Authorization: Bearer imk_live_…`. "
            "Test keys (`imk_test_…`) render free, watermarked sandbox images.",
        }


# --- Elements and modifications -------------------------------------------------


def field_schema(spec: Field) -> dict:
    """The OpenAPI 3.0 schema of one element or template field."""
    schema = base_field_schema(spec)
    if spec.kind == "color":
        schema["example"] = "#0b0d12"
    if spec.nullable:
        schema["nullable"] = True
    if spec.default is not None or spec.nullable:
        schema["default"] = spec.default
    return schema


def element_schema(element_type: str) -> dict:
    fields = fields_for(element_type)
    return {
        "type": "object",
        "description": f"An element of type `{element_type}` (docs/designer.md).",
        "properties": {
            "name": {
                "type": "string",
                "pattern": NAME_RE.pattern,
                "description": "Unique in the template; the handle for modifications.",
            },
            "type": {"type": "string", "enum": [element_type]},
            **{name: field_schema(spec) for name, spec in fields.items()},
        },
        "required": ["name", "type", *(name for name, spec in fields.items() if spec.required)],
        "additionalProperties": False,  # an unknown field is refused with a did-you-mean
    }


def _component_name(element_type: str) -> str:
    return "".join(part.capitalize() for part in element_type.split("_")) + "Element"


MODIFICATIONS_SCHEMA = {
    "description": (
        'What to change, in one of three shapes: a list `[{"name": "title", "text": "Hi"}]`, a map '
        '`{"title": {"text": "Hi"}}`, or a flat map `{"title": "Hi", "title.color": "#fff"}`. '
        "A bare value sets a text's `text`, an image's `src`, a QR code's `value`. "
        "`GET /api/v1/templates/{id}/schema` gives the exact schema for one template."
    ),
    "oneOf": [
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 1, "description": "The element's name."}},
                "required": ["name"],
                "additionalProperties": True,
            },
        },
        {"type": "object", "additionalProperties": True},
    ],
}


class JsonFieldSchemas(OpenApiSerializerFieldExtension):
    """The JSON fields with a known shape: a template's `elements` and a render's `modifications`."""

    target_class = "rest_framework.fields.JSONField"

    @classmethod
    def _matches(cls, target) -> bool:
        return super()._matches(target) and getattr(target, "field_name", None) in ("elements", "modifications")

    def map_serializer_field(self, auto_schema, direction):
        if self.target.field_name == "modifications":
            return MODIFICATIONS_SCHEMA
        refs = {}
        for element_type in ELEMENT_TYPES:
            component = ResolvedComponent(
                name=_component_name(element_type),
                type=ResolvedComponent.SCHEMA,
                object=_component_name(element_type),
                schema=element_schema(element_type),
            )
            auto_schema.registry.register_on_missing(component)
            refs[element_type] = component.ref
        return {
            "type": "array",
            "maxItems": MAX_ELEMENTS,
            "description": "Drawn in order: the first is at the bottom.",
            "items": {
                "oneOf": list(refs.values()),
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {element_type: ref["$ref"] for element_type, ref in refs.items()},
                },
            },
        }


# --- Request and response shapes the views build by hand --------------------------


@extend_schema_serializer(component_name="Template")
class TemplateInputSerializer(serializers.Serializer):
    """A template as sent (POST, PUT; PATCH with any subset)."""

    # No NUL characters (the API refuses them), said in the schema so fuzzers and clients know.
    name = serializers.RegexField(
        r"^[^\x00]*$", max_length=200, required=False, default=TEMPLATE_FIELDS["name"].default
    )
    width = serializers.IntegerField(min_value=1, max_value=4000)
    height = serializers.IntegerField(min_value=1, max_value=4000)
    background = serializers.RegexField(
        COLOR_RE.pattern,
        allow_null=True,
        required=False,
        default=TEMPLATE_FIELDS["background"].default,
        help_text="A colour, or null for transparent.",
    )
    elements = serializers.JSONField(required=False, default=list)


class UsageCountsSerializer(serializers.Serializer):
    requests = serializers.IntegerField(help_text="Authenticated API requests.")
    images = serializers.IntegerField(help_text="Images created, by any route (API or dashboard), live and sandbox.")
    credits_used = serializers.IntegerField(
        help_text="Credits spent on renders minus refunds; a refund on a later day can make a day negative."
    )
    errors = serializers.IntegerField(help_text="API requests answered with a 4xx or 5xx status.")


class UsageDaySerializer(UsageCountsSerializer):
    date = serializers.DateField()


@extend_schema_serializer(component_name="Usage")
class UsageResponseSerializer(serializers.Serializer):
    days = UsageDaySerializer(many=True, help_text="One entry per day (UTC), oldest first.")
    totals = UsageCountsSerializer()


class FontFamilySerializer(serializers.Serializer):
    family = serializers.CharField()
    kind = serializers.ChoiceField(choices=["catalogue", "account"])
    weights = serializers.ListField(child=serializers.IntegerField())
    italic = serializers.BooleanField()
    category = serializers.CharField(required=False, help_text="Catalogue fonts: sans-serif, serif, fallback…")
    licence = serializers.CharField(required=False, help_text="Catalogue fonts.")
    licence_file = serializers.CharField(required=False, help_text="Catalogue fonts: relative to the static root.")
    source = serializers.CharField(required=False, help_text="Catalogue fonts.")
    files = UserFontSerializer(many=True, required=False, help_text="The account's uploads of this family.")


@extend_schema_serializer(component_name="FontList")
class FontListResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    count_exact = serializers.BooleanField(help_text="Always true: every font is counted.")
    next = serializers.URLField(allow_null=True, help_text="Always null: the whole list in one page.")
    previous = serializers.URLField(allow_null=True)
    results = FontFamilySerializer(many=True)


# --- Postprocessing -------------------------------------------------------------

PROBLEM_RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    500: "ServerError",
}


def share_components(result, generator, request, public):
    """drf-spectacular postprocessing hook: the response headers and problem answers
    repeated in every operation become components (#/components/headers/…,
    #/components/responses/…) that operations refer to."""
    components = result.setdefault("components", {})
    headers, responses = components.setdefault("headers", {}), components.setdefault("responses", {})
    names = {}
    for status, name in PROBLEM_RESPONSE_NAMES.items():
        names[status, PROBLEMS[status].description] = name
        if status in RENDER_PROBLEMS:
            names[status, RENDER_PROBLEMS[status].description] = "Render" + name
    for path_item in result["paths"].values():
        for operation in path_item.values():
            for status, response in operation["responses"].items():
                for header_name, header in response.get("headers", {}).items():
                    if headers.setdefault(header_name, header) == header:
                        response["headers"][header_name] = {"$ref": f"#/components/headers/{header_name}"}
                name = names.get((int(status), response.get("description")))
                if name and responses.setdefault(name, response) == response:
                    operation["responses"][status] = {"$ref": f"#/components/responses/{name}"}
    # No documented operation answers 405, but every path does for the methods it lacks.
    responses.setdefault(
        "MethodNotAllowed",
        {
            "description": PROBLEMS[405].description,
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )
    components["responses"] = dict(sorted(responses.items()))
    return result
