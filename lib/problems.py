"""Every problem code the API (and the designer's JSON endpoints) answer with, in one list.

The problems' titles, the OpenAPI document's `Problem.code` enum (api/schema.py) and
the dashboard's error table (dashboard/docs.py) all come from here, so they cannot
disagree. Pure data: imports no app.
"""

from typing import NamedTuple

from django.http import JsonResponse

PROBLEM_BASE = "https://imagior.dev/problems/"
CONTENT_TYPE = "application/problem+json"


class ProblemCode(NamedTuple):
    status: int
    code: str
    title: str
    meaning: str


# docs/api.md lists them; 403 `permission_denied` and 406 `not_acceptable` are DRF's own.
# fmt: off
PROBLEMS = [
    ProblemCode(400, "invalid_json", "Invalid JSON",
                "The body is not valid JSON, or was not sent as application/json."),
    ProblemCode(400, "validation_error", "Validation error",
                "Some fields are invalid; errors lists each one with its path."),
    ProblemCode(400, "unknown_element", "Unknown element",
                "A modification names no element of the template (with a did-you-mean)."),
    ProblemCode(400, "image_fetch_failed", "Image fetch failed",
                "A picture URL could not be fetched or decoded; nothing was charged."),
    ProblemCode(400, "output_too_large", "Output too large",
                "Width × height × scale is over the pixel limit."),
    ProblemCode(401, "authentication_required", "Authentication required",
                "No Authorization: Bearer <key> header."),
    ProblemCode(401, "invalid_api_key", "Invalid API key",
                "The key is malformed, unknown or revoked (one answer for all three)."),
    ProblemCode(403, "insufficient_credits", "Insufficient credits",
                "The balance does not cover the render: buy credits or change plan."),
    ProblemCode(403, "ip_not_allowed", "IP address not allowed",
                "The key has an IP whitelist and this client is not on it."),
    ProblemCode(403, "origin_not_allowed", "Origin not allowed",
                "The key has a domain whitelist and the Origin/Referer is not on it."),
    ProblemCode(403, "invalid_signature", "Invalid signature",
                "A signed /i/… URL has a missing or wrong sig (or names an unknown template)."),
    ProblemCode(403, "email_not_verified", "E-mail not verified",
                "A live render waits until the account confirms its e-mail address; test keys work meanwhile."),
    ProblemCode(403, "scope_denied", "Scope denied",
                "The key is restricted and lacks the scope this operation needs (named in detail)."),
    ProblemCode(403, "template_not_allowed", "Template not allowed",
                "The key is restricted to other templates."),
    ProblemCode(403, "permission_denied", "Permission denied",
                "The request is not allowed for this key."),
    ProblemCode(404, "not_found", "Not found",
                "No such object, or it belongs to another account."),
    ProblemCode(405, "method_not_allowed", "Method not allowed",
                "This path does not take this HTTP method (see the Allow header)."),
    ProblemCode(406, "not_acceptable", "Not acceptable",
                "The Accept header asks for something other than JSON."),
    ProblemCode(409, "idempotency_conflict", "Idempotency conflict",
                "This Idempotency-Key was already used with another body or path."),
    ProblemCode(412, "precondition_failed", "Precondition failed",
                "If-Match names another version of the template than the current one (the ETag)."),
    ProblemCode(413, "payload_too_large", "Payload too large",
                "The request body is over 1 MB."),
    ProblemCode(429, "rate_limited", "Rate limited",
                "Too many requests this minute: wait Retry-After seconds."),
    ProblemCode(500, "render_failed", "Render failed",
                "The render failed on our side and was refunded: retry."),
    ProblemCode(500, "internal_error", "Internal error",
                "Something broke on our side: quote the request_id to support."),
    ProblemCode(503, "service_unavailable", "Service unavailable",
                "A part the service needs (the database) is not answering: retry after Retry-After seconds."),
]
# fmt: on
TITLES = {problem.code: problem.title for problem in PROBLEMS}


def problem_body(request, status: int, code: str, detail: str, errors: list | None = None) -> dict:
    body = {
        "type": PROBLEM_BASE + code,
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(request, "request_id", None),
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(request, status: int, code: str, detail: str, errors=None, headers=None) -> JsonResponse:
    response = JsonResponse(
        problem_body(request, status, code, detail, errors), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
