import logging
import secrets

from django.core.exceptions import RequestDataTooBig

from api.errors import CONTENT_TYPE, problem_response

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"


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
        try:
            # Reading the body here applies DATA_UPLOAD_MAX_MEMORY_SIZE, which
            # DRF's streaming parsers would otherwise skip.
            request.body  # noqa: B018
        except RequestDataTooBig:
            return problem_response(request, 413, "payload_too_large", "The request body is larger than 1 MB.")
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type") != CONTENT_TYPE:
            return problem_response(request, 404, "not_found", f"There is no API endpoint at {request.path}.")
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("Unhandled error in %s", request.path)
        return problem_response(request, 500, "internal_error", "Something went wrong on our side.")
