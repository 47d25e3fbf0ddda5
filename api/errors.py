"""Every API error is an RFC 9457 problem (application/problem+json), built here.

`exception_handler` is DRF's hook; `problem_response` serves the middleware for
errors that happen outside DRF (unknown paths, oversized bodies, crashes).
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework import exceptions

from accounts.models import EmailNotVerified, TemplateNotAllowed
from billing.ledger import InsufficientCredits
from lib.errors import InvalidInput
from lib.problems import CONTENT_TYPE, problem_body, problem_response  # noqa: F401 (the API's own names)
from templates_app import rendering

logger = logging.getLogger(__name__)


class ApiProblem(exceptions.APIException):
    """Raise from a view to answer with a specific problem."""

    def __init__(self, status: int, code: str, detail: str, errors: list | None = None, headers: dict | None = None):
        self.status_code, self.code, self.detail_text = status, code, detail
        self.errors, self.headers = errors, headers or {}
        super().__init__(detail, code)


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error dicts as the flat {"field", "code", "message"} list of docs/api.md."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            field = key if key != "non_field_errors" else (prefix.rstrip(".") or "body")
            items += _flatten(value, f"{prefix}{field}" if key != "non_field_errors" else field)
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                items += _flatten(value, f"{prefix}[{index}].")
            else:
                items += _flatten(value, prefix)
        return items
    return [{"field": prefix.rstrip(".") or "body", "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def _classify(exc) -> tuple[int, str, str, list | None, dict]:
    """(status, code, detail, errors, headers) for an exception, or raise it on."""
    if isinstance(exc, ApiProblem):
        return exc.status_code, exc.code, exc.detail_text, exc.errors, exc.headers
    if isinstance(exc, InvalidInput):
        detail = exc.errors[0]["message"] if exc.code == "unknown_element" else "The request has invalid fields."
        return 400, exc.code, detail, exc.errors, {}
    if isinstance(exc, InsufficientCredits):
        return 403, "insufficient_credits", str(exc), None, {"X-Credits-Remaining": str(exc.balance)}
    if isinstance(exc, EmailNotVerified):
        return 403, "email_not_verified", str(exc), None, {}
    if isinstance(exc, TemplateNotAllowed):
        return 403, "template_not_allowed", str(exc), None, {}
    if isinstance(exc, rendering.RenderError):
        status = 500 if exc.code == "render_failed" else 400
        errors = (
            [{"field": f"elements.{exc.element}", "code": exc.code, "message": exc.message}] if exc.element else None
        )
        return status, exc.code, exc.message, errors, {}
    if isinstance(exc, RedisConnectionError):
        # The shared cache is down: requests cannot be counted against their limits, so
        # they are refused rather than let through unlimited (docs/deploy.md).
        logger.warning("Cache unavailable: %s", exc)
        return 503, "service_unavailable", "The cache is not answering; retry in a moment.", None, {"Retry-After": "5"}
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is down or restarting: say so, and when to come back (docs/deploy.md).
        logger.warning("Database unavailable: %s", exc)
        return (
            503,
            "service_unavailable",
            "The database is not answering; retry in a moment.",
            None,
            {"Retry-After": "5"},
        )
    if isinstance(exc, RequestDataTooBig):
        return 413, "payload_too_large", "The request body is larger than 1 MB.", None, {}
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return 404, "not_found", "No such object, or it belongs to another account.", None, {}
    if isinstance(exc, exceptions.NotAuthenticated):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        detail = "Send your API key as 'Authorization: Bearer <key>'."
        return 401, "authentication_required", detail, None, headers
    if isinstance(exc, exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        return 401, "invalid_api_key", "The API key is not valid.", None, headers
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 405, "method_not_allowed", str(exc.detail), None, {}
    if isinstance(exc, (exceptions.ParseError, exceptions.UnsupportedMediaType)):
        return 400, "invalid_json", "The body must be valid JSON sent as application/json.", None, {}
    if isinstance(exc, exceptions.ValidationError):
        return 400, "validation_error", "The request has invalid fields.", _flatten(exc.detail), {}
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return 429, "rate_limited", "Too many requests.", None, {"Retry-After": str(wait)}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, "not_acceptable", "This API answers in JSON only.", None, {}
    if isinstance(exc, (exceptions.PermissionDenied, PermissionDenied)):
        return 403, "permission_denied", "You may not do this.", None, {}
    raise exc


def classify(exc, request=None) -> tuple[int, str, str, list | None, dict]:
    """(status, code, detail, errors, headers) for any exception; unknown ones are a logged 500."""
    try:
        return _classify(exc)
    except Exception:
        logger.exception("Unhandled error in %s", getattr(request, "path", "?"))
        return 500, "internal_error", "Something went wrong on our side.", None, {}


def exception_handler(exc, context):
    """DRF's hook: every exception becomes a problem response; unknown ones a 500."""
    request = context.get("request")
    status, code, detail, errors, headers = classify(exc, request)
    return problem_response(request, status, code, detail, errors, headers)
