"""GET /i/{template}.{ext}?…&sig=… — signed image URLs (templates_app/signed.py does the work)."""

from django.http import HttpResponseNotModified
from django.views.decorators.http import require_safe

from api.errors import classify, problem_response
from templates_app import signed
from templates_app.files import file_response

# Long-lived but not forever: a template edit shows within a day even behind a CDN.
CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"


@require_safe
def signed_image(request, template_id: str, ext: str):
    params = [(name, value) for name, values in request.GET.lists() if name != "sig" for value in values]
    try:
        template = signed.verified_template(template_id, ext, params, request.GET.get("sig", ""))
        image = signed.image_for(template, ext, params)
    except signed.InvalidSignature:
        return problem_response(request, 403, "invalid_signature", "The signature does not match this URL.")
    except Exception as exc:
        status, code, detail, errors, headers = classify(exc, request)
        return problem_response(request, status, code, detail, errors, headers)
    etag = f'"{image.public_id}"'
    response = HttpResponseNotModified() if request.headers.get("If-None-Match") == etag else file_response(image)
    response["Cache-Control"] = CACHE_CONTROL
    response["ETag"] = etag
    return response
