"""The designer's pages and its JSON endpoints (session-authenticated, CSRF-protected).

Every template is looked up with `get_template_for(request.user, …)`: another
account's template is a 404. Saving, creating, duplicating and deleting call the
same domain functions as the API; the preview is rendered by the API's pipeline
but never charged and never stored (templates_app/previews.py).
"""

import json
import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import get_usage

from billing import rate_limits
from lib import fetch
from lib.errors import InvalidInput
from lib.problems import problem_response
from templates_app import files, previews, rendering, services
from templates_app.elements import COMMON, FIELDS, TEMPLATE_FIELDS
from templates_app.rendering import fonts
from templates_app.rendering.images import is_remote
from templates_app.representations import template_data

logger = logging.getLogger(__name__)

SIZE_PRESETS = [
    ("1200x630", "Social card · 1200 × 630", 1200, 630),
    ("1080x1080", "Square post · 1080 × 1080", 1080, 1080),
    ("1080x1920", "Story · 1080 × 1920", 1080, 1920),
    ("custom", "Custom size", None, None),
]


PREVIEW_RATE = "60/m"  # per user
PICTURE_RATE = "120/m"  # per user: each remote picture on the canvas, once per fresh URL
PICTURE_BROWSER_CACHE = 300  # seconds the browser may keep a picture it was given
# What the fetcher accepts, recognised by the first bytes (it already refused anything else).
PICTURE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


def gallery_url() -> str:
    """The dashboard's template gallery (dashboard/pages.py)."""
    return reverse("dash-templates")


def json_endpoint(*methods: str):
    """For the designer's fetch() endpoints: every refusal is problem+json like the API's.

    The CSRF check is made here rather than by the middleware (whose failure page is
    HTML), then the login (401 instead of a redirect), the method (405), and whatever
    the view raises: a template that is not the user's (404) or a crash (500)."""

    def decorator(view):
        @csrf_exempt  # checked below, to answer in JSON
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is not None:
                return _refuse(
                    request, 403, "permission_denied", "The CSRF token is missing or stale: reload the page."
                )
            if not request.user.is_authenticated:
                return _refuse(request, 401, "authentication_required", "Log in again.")
            if request.method not in methods:
                response = _refuse(request, 405, "method_not_allowed", f"This endpoint takes {', '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return _refuse(request, 404, "not_found", "No such template in this account.")
            except RequestDataTooBig:
                return _refuse(request, 413, "payload_too_large", "The request body is too large.")
            except Exception:  # never Django's HTML error page to a fetch()
                logger.exception("The designer endpoint %s failed", request.path)
                return _refuse(request, 500, "internal_error", "Something broke on our side; try again.")

        return wrapper

    return decorator


def _refuse(request, status: int, code: str, message: str) -> JsonResponse:
    return _errors(request, [{"field": "", "code": code, "message": message}], status=status)


def _errors(request, errors: list[dict], status: int = 400) -> JsonResponse:
    """A problem+json answer like the API's (lib/problems.py); the page reads its `errors`."""
    code = errors[0]["code"] if len(errors) == 1 else "validation_error"
    detail = errors[0]["message"] if len(errors) == 1 else "The template has invalid fields."
    return problem_response(request, status, code, detail, errors)


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def field_table() -> dict:
    """The element fields (docs/designer.md) as the designer's properties panel reads them (elements.FIELDS)."""

    def describe(spec):
        return {
            "kind": spec.kind,
            "default": spec.default,
            "nullable": spec.nullable,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "choices": list(spec.choices),
            "max_length": spec.max_length,
            "required": spec.required,
        }

    return {
        "common": {name: describe(spec) for name, spec in COMMON.items()},
        "types": {kind: {name: describe(spec) for name, spec in table.items()} for kind, table in FIELDS.items()},
        "template": {name: describe(spec) for name, spec in TEMPLATE_FIELDS.items()},
    }


def font_table(user) -> list[dict]:
    """The catalogue's families with their files' static URLs (for @font-face), then the account's."""
    files = fonts.FAMILIES
    table = []
    for entry in fonts.catalogue():
        table.append(
            {
                "family": entry["family"],
                "weights": entry["weights"],
                "italic": entry["italic"],
                "category": entry["category"],
                "files": [
                    {
                        "url": static(f"fonts/{file.path}"),
                        "italic": file.italic,
                        "weight": f"{file.weight_min} {file.weight_max}" if file.variable else str(file.weight_min),
                    }
                    for file in files[entry["family"]]
                ],
            }
        )
    account = [
        {"family": f["family"], "weights": f["weights"], "italic": f["italic"], "category": "account", "files": []}
        for f in services.fonts_by_family(user)
    ]
    return table + account


# --- Pages ----------------------------------------------------------------------


@login_required
@require_safe
def designer(request, template_id: str):
    """The editor of one template."""
    template = services.get_template_for(request.user, template_id)
    config = {
        "template": template_data(template),
        "csrf_token": get_token(request),
        "fields": field_table(),
        "fonts": font_table(request.user),
        "urls": {
            "preview": reverse("designer-preview", args=[template.public_id]),
            "save": reverse("designer-save", args=[template.public_id]),
            "test_render": reverse("designer-test-render", args=[template.public_id]),
            "picture": reverse("designer-picture", args=[template.public_id]),
            "font_upload": reverse("designer-font-upload"),
            "gallery": gallery_url(),
            "api_images": settings.PUBLIC_BASE_URL + "/api/v1/images",
            "api_schema": settings.PUBLIC_BASE_URL + f"/api/v1/templates/{template.public_id}/schema",
        },
        "limits": {"max_preview_side": previews.MAX_PREVIEW_SIDE, "max_upload_bytes": 700 * 1024},
    }
    languages = [("curl", "curl"), ("python", "Python (requests)"), ("javascript", "JavaScript (fetch)")]
    return render(
        request,
        "dashboard/designer.html",
        {"template": template, "config": config, "snippet_languages": languages},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_template(request):
    """Pick a name and a size preset, then open the designer on the new template."""
    errors: list[dict] = []
    values = {"name": "Untitled template", "preset": "1200x630", "width": 1200, "height": 630}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", "").strip() or "Untitled template",
            "preset": request.POST.get("preset", "1200x630"),
            "width": request.POST.get("width", ""),
            "height": request.POST.get("height", ""),
        }
        preset = next((p for p in SIZE_PRESETS if p[0] == values["preset"]), None)
        if preset is None:
            errors.append({"field": "preset", "message": "Choose a size."})
        else:
            width, height = preset[2], preset[3]
            if width is None:
                width, height = _int_or_none(values["width"]), _int_or_none(values["height"])
            try:
                template = services.create_template(
                    owner=request.user,
                    data={"name": values["name"], "width": width, "height": height, "background": "#ffffff"},
                )
            except InvalidInput as exc:
                errors = exc.errors
            else:
                return redirect("designer", template.public_id)
    return render(
        request,
        "dashboard/new_template.html",
        {
            "presets": SIZE_PRESETS,
            "values": values,
            "errors": {error["field"]: error["message"] for error in errors},
            "gallery_url": gallery_url(),
        },
        status=400 if errors else 200,
    )


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value or None


@login_required
@require_POST
def duplicate_template(request, template_id: str):
    original = services.get_template_for(request.user, template_id)
    copy = services.create_template(
        owner=request.user,
        data={
            "name": f"Copy of {original.name}"[:200],
            "width": original.width,
            "height": original.height,
            "background": original.background,
            "elements": original.elements,
        },
    )
    messages.success(request, f"Duplicated “{original.name}”.")
    if request.POST.get("next") == "designer":
        return redirect("designer", copy.public_id)
    return redirect(gallery_url())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_template(request, template_id: str):
    """GET asks for confirmation; POST deletes (rendered images keep their files)."""
    template = services.get_template_for(request.user, template_id)
    if request.method == "POST":
        name = template.name
        services.delete_template(template=template)
        messages.success(request, f"Deleted “{name}”.")
        return redirect(gallery_url())
    return render(request, "dashboard/delete_template.html", {"template": template, "gallery_url": gallery_url()})


@login_required
@require_safe
def thumbnail(request, template_id: str):
    """The owner's view of a template's thumbnail (the gallery's <img>)."""
    template = services.get_template_for(request.user, template_id)
    response = files.thumbnail_response(template)
    response["Cache-Control"] = "private, max-age=60"
    return response


# --- JSON endpoints -------------------------------------------------------------


@json_endpoint("POST")
def preview(request, template_id: str):
    """POST an unsaved template body → the PNG the API would render (free, never stored)."""
    template = services.get_template_for(request.user, template_id)
    # Previews are free and unwatermarked: a per-user limit keeps them a design tool,
    # not a way around credits (docs/designer.md).
    usage = get_usage(request, group="designer-preview", key="user", rate=PREVIEW_RATE, increment=True)
    if usage and usage["should_limit"]:
        response = _errors(
            request,
            [{"field": "body", "code": "rate_limited", "message": "Too many previews this minute; wait a moment."}],
            status=429,
        )
        response["Retry-After"] = str(max(1, usage["time_left"]))
        return response
    data = _json_body(request)
    if not isinstance(data, dict):
        return _errors(
            request, [{"field": "body", "code": "invalid_json", "message": "Send the template as a JSON object."}]
        )
    try:
        result = previews.render_preview(user=request.user, template=template, data=data)
    except InvalidInput as exc:
        return _errors(request, exc.errors)
    except rendering.RenderError as exc:
        element = getattr(exc, "element", None)
        return _errors(request, [{"field": _element_path(data, element), "code": exc.code, "message": exc.message}])
    response = HttpResponse(result.content, content_type="image/png")
    response["Cache-Control"] = "no-store"
    response["X-Preview-Scale"] = f"{result.width / max(1, data.get('width') or 1):.4f}"
    return response


@json_endpoint("GET", "HEAD")
def picture(request, template_id: str):
    """GET ?src=<http(s) URL> → that picture's bytes, fetched by the server for the canvas.

    The page's CSP keeps other origins out of <img>, so the canvas asks here: the same
    SSRF-safe, size-capped, briefly cached fetcher (lib/fetch.py) as a render, with the
    same single answer whatever went wrong (no oracle for probing servers)."""
    services.get_template_for(request.user, template_id)
    src = request.GET.get("src", "")
    if not is_remote(src):
        return _refuse(request, 400, "invalid_url", "Give the picture's http(s) URL as ?src=.")
    usage = get_usage(request, group="designer-picture", key="user", rate=PICTURE_RATE, increment=True)
    if usage and usage["should_limit"]:
        response = _refuse(request, 429, "rate_limited", "Too many pictures this minute; wait a moment.")
        response["Retry-After"] = str(max(1, usage["time_left"]))
        return response
    try:
        data = fetch.fetch_image(src)
    except fetch.FetchError as exc:
        logger.info("Designer picture fetch failed for %s: %s", src, exc.reason)
        return _refuse(request, 400, "image_fetch_failed", "The picture could not be fetched.")
    content_type = next((kind for magic, kind in PICTURE_TYPES if data.startswith(magic)), "image/webp")
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={PICTURE_BROWSER_CACHE}"
    return response


@json_endpoint("POST")
def upload_font(request):
    """POST multipart `file` (TTF/OTF/WOFF/WOFF2) → 201 {"font": {"family", "weight", "italic"}}.

    The same domain function as the API's POST /api/v1/fonts (services.upload_font)."""
    upload = request.FILES.get("file")
    if upload is None:
        return _refuse(request, 400, "required", "Choose a font file (TTF, OTF, WOFF or WOFF2).")
    if upload.size > settings.UPLOAD_MAX_BYTES:
        return _refuse(request, 413, "payload_too_large", "Font files are limited to 10 MB.")
    try:
        font = services.upload_font(owner=request.user, data=upload.read())
    except InvalidInput as exc:
        return _errors(request, exc.errors)
    except rendering.RenderError as exc:  # the render workers are busy
        return _refuse(request, 503, exc.code, exc.message)
    return JsonResponse({"font": {"family": font.family, "weight": font.weight, "italic": font.italic}}, status=201)


def _element_path(data: dict, name: str | None) -> str:
    """`elements[i]` for the element a render error names, so the designer can point at it."""
    for index, element in enumerate(data.get("elements") or []):
        if isinstance(element, dict) and name and element.get("name") == name:
            return f"elements[{index}]"
    return ""


@json_endpoint("PUT")
def save(request, template_id: str):
    """PUT the whole template (as the API's PUT) → the saved template with its new version."""
    template = services.get_template_for(request.user, template_id)
    data = _json_body(request)
    if not isinstance(data, dict):
        return _errors(
            request, [{"field": "body", "code": "invalid_json", "message": "Send the template as a JSON object."}]
        )
    expected = data.pop("version", None)
    if request.headers.get("X-Overwrite") or not isinstance(expected, int):
        expected = None  # "save again to overwrite it"
    try:
        template = services.update_template(template=template, data=data, partial=False, expected_version=expected)
    except services.VersionConflict as conflict:
        message = (
            f"This template was changed elsewhere (now version {conflict.current}, you edited {expected}). "
            "Reload to see the other change, or save again to overwrite it."
        )
        return _errors(request, [{"field": "version", "code": "version_conflict", "message": message}], status=409)
    except InvalidInput as exc:
        return _errors(request, exc.errors)
    return JsonResponse({"template": template_data(template)})


@json_endpoint("POST")
def render_test_image(request, template_id: str):
    """A free sandbox render of the SAVED template (watermarked, like a test key's) → the new image.

    The page saves unsaved changes first and sends the version it saved, so a render
    of an older version than the one on screen is refused with 409.
    """
    template = services.get_template_for(request.user, template_id)
    data = _json_body(request)
    expected = data.get("version") if isinstance(data, dict) else None
    if expected is not None and expected != template.version:
        message = f"The saved template is version {template.version}, not {expected}: save, then render."
        return _errors(request, [{"field": "version", "code": "version_conflict", "message": message}], status=409)
    try:
        # Counted with the account's test keys (billing/rate_limits.py): the dashboard adds no budget.
        rate_limits.count(request, request.user, sandbox=True)
    except rate_limits.RateLimited as over:
        response = _errors(request, [{"field": "body", "code": "rate_limited", "message": str(over)}], status=429)
        response["Retry-After"] = over.headers["Retry-After"]
        return response
    try:
        image, _ = services.render_image(
            owner=request.user, template_id=template.public_id, sandbox=True, charged_by="dashboard"
        )
    except InvalidInput as exc:
        return _errors(request, exc.errors)
    except rendering.RenderError as exc:
        element = getattr(exc, "element", None)
        field = _element_path({"elements": template.elements}, element)
        return _errors(
            request,
            [{"field": field, "code": exc.code, "message": exc.message}],
            status=500 if exc.code == "render_failed" else 400,
        )
    return JsonResponse(
        {
            "image": {
                "id": image.public_id,
                "url": image.url,
                "width": image.width,
                "height": image.height,
                "template_version": image.template_version,
            },
            "page": reverse("dash-image", args=[image.public_id]),
        },
        status=201,
    )
