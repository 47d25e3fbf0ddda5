import logging
import secrets
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from accounts.models import ApiKey
from api.errors import CONTENT_TYPE, classify, problem_response
from billing import usage

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"
IMAGE_CREATING_ROUTES = {"image-list", "image-edit"}
# Room for the multipart boundaries and the small form fields around an upload.
MULTIPART_OVERHEAD = 64 * 1024


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestIdMiddleware:
    """Give every request an id, returned as X-Request-Id and in every problem body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = "req_" + secrets.token_hex(12)
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response


class ApiErrorMiddleware:
    """Under /api/, answers that DRF never sees are problems too: oversized
    bodies (413), unknown paths (404) and crashes (500, never a traceback)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.content_type == "multipart/form-data":
            # Uploads (fonts) have their own cap; Django streams their files to disk.
            if _content_length(request) > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:
                limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
                return problem_response(request, 413, "payload_too_large", f"Uploads are limited to {limit} MB.")
        else:
            try:
                # Reading the body here applies DATA_UPLOAD_MAX_MEMORY_SIZE, which
                # DRF's streaming parsers would otherwise skip.
                request.body  # noqa: B018
            except RequestDataTooBig:
                return problem_response(request, 413, "payload_too_large", "The request body is larger than 1 MB.")
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type") != CONTENT_TYPE:
            response = problem_response(request, 404, "not_found", f"There is no API endpoint at {request.path}.")
        # Set by the key's rate limiter (api/limits.py) on every authenticated request.
        for name, value in getattr(request, "rate_limit_headers", {}).items():
            response.headers.setdefault(name, value)
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        status, code, detail, errors, headers = classify(exception, request)  # logs what it does not know
        return problem_response(request, status, code, detail, errors, headers)


class RequestLogMiddleware:
    """Record every authenticated API request for the usage figures (one INSERT)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        api_key = getattr(request, "auth", None)
        if isinstance(api_key, ApiKey):
            match = request.resolver_match
            try:
                usage.record_request(
                    user=api_key.user,
                    api_key=api_key,
                    method=request.method,
                    endpoint=match.url_name if match else "unknown",
                    status=response.status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000),
                    created_image=request.method == "POST"
                    and response.status_code in (201, 202)
                    and bool(match)
                    and match.url_name in IMAGE_CREATING_ROUTES,
                )
            except Exception:  # the answer matters more than its log line
                logger.exception("Could not record an API request")
        return response
