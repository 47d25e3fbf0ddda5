"""Exceptions: every API problem is an `ImagiorError`, subclassed by its `code`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ImagiorError(Exception):
    """An error answer from the API (or no answer at all, see `APIConnectionError`).

    `status` is the HTTP status (None when no answer came), `code` the problem's
    machine-readable code (`not_found`, `rate_limited`, …), `request_id` the
    server's id for the request (quote it in support requests), `detail` the
    human explanation and `errors` the per-field list of a validation problem.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.body = body
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}, code {self.code!r}, request {self.request_id})")
        return " ".join(parts)


class APIConnectionError(ImagiorError):
    """No answer: the connection failed or timed out on every try."""


class AuthenticationError(ImagiorError):
    """401: no key, or a malformed, unknown, revoked or expired one."""


class PermissionDeniedError(ImagiorError):
    """403 for a reason other than credits: a whitelist, a scope, a template the key may not use."""


class InsufficientCreditsError(PermissionDeniedError):
    """403 `insufficient_credits`: nothing was rendered or charged."""


class NotFoundError(ImagiorError):
    """404: no such object (or another account's)."""


class ValidationError(ImagiorError):
    """400: the request was refused as it is; `errors` names the fields."""


class ConflictError(ImagiorError):
    """409/412: an idempotency key reused with another body, or a stale `If-Match` version."""


class RateLimitError(ImagiorError):
    """429 `rate_limited`; `retry_after` is the number of seconds to wait."""

    @property
    def retry_after(self) -> float | None:
        return _seconds(self.headers.get("retry-after"))


class ServerError(ImagiorError):
    """5xx: the server failed (a failed render is refunded)."""


class WaitTimeoutError(ImagiorError):
    """`wait=True` gave up: the render or batch had not ended in `wait_timeout` seconds."""


class WebhookVerificationError(ImagiorError):
    """A webhook delivery whose signature or timestamp does not check out."""


_BY_CODE: dict[str, type[ImagiorError]] = {
    "authentication_required": AuthenticationError,
    "invalid_api_key": AuthenticationError,
    "insufficient_credits": InsufficientCreditsError,
    "rate_limited": RateLimitError,
    "not_found": NotFoundError,
    "validation_error": ValidationError,
    "invalid_json": ValidationError,
    "unknown_element": ValidationError,
    "idempotency_conflict": ConflictError,
    "precondition_failed": ConflictError,
}

_BY_STATUS: dict[int, type[ImagiorError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class(status: int, code: str | None) -> type[ImagiorError]:
    """The exception class for an answer: by its problem code, else by its status."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ImagiorError)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
