"""`Idempotency-Key` on POST (docs/api.md, "Idempotency"), the way Stripe does it.

The first request with a key claims it (a unique row per account, key mode and
key, committed before any work); its answer is stored and replayed for any
repeat with the same method, path and body, which therefore charges once. A
repeat with another body is 409 `idempotency_conflict`. A repeat that arrives
while the first is still running waits for it and replays its answer, so
concurrent duplicates render once. Only successful answers (2xx) are stored: a
refused or failed request changed nothing (a failed render is refunded), so it
may be retried with the same key. The first request holds the key for a lease
(IDEMPOTENCY_LEASE_SECONDS); if its process died, a retry after the lease takes
the record over (one conditional UPDATE, so only one retry can).
"""

import functools
import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import IdempotencyRecord
from api.errors import ApiProblem

KEEP_FOR = timedelta(hours=24)
WAIT_FOR_FIRST = 60  # seconds a duplicate waits for the first request to finish
REPLAYED_HEADERS = ["Content-Type", "Location", "X-Credits-Remaining"]


def idempotent(handler):
    """Decorate a POST handler of an APIView (authentication has already run)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise ApiProblem(
                400,
                "validation_error",
                "The request has invalid fields.",
                errors=[{"field": "Idempotency-Key", "code": "invalid", "message": "Must be 1–255 characters."}],
            )
        fingerprint = _fingerprint(request)
        record, created = _claim(request.user, request.auth.is_test, key, fingerprint)
        if not created and not _take_over_abandoned(record, fingerprint):
            return _replay(record, fingerprint)
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            response = view.handle_exception(exc)
        if not 200 <= response.status_code < 300:
            record.delete()
            return response
        _store(view, request, record, response)
        return response

    return wrapper


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    try:
        digest.update(request._request.body)
    except Exception:  # multipart bodies are streamed: use the parsed parts
        for name, value in sorted(request.data.items()):
            digest.update(name.encode())
            digest.update(value.read() if hasattr(value, "read") else str(value).encode())
            if hasattr(value, "seek"):
                value.seek(0)
    return digest.hexdigest()


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def _claim(user, sandbox: bool, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    mine = IdempotencyRecord.objects.filter(user=user, sandbox=sandbox, key=key)
    mine.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, sandbox=sandbox, key=key, fingerprint=fingerprint, locked_until=_lease_end()
                )
                return record, True
        except IntegrityError:
            record = mine.first()
            if record is not None:
                return record, False
            # The request holding the key was refused and let go of it in between: claim it again.
    raise ApiProblem(409, "idempotency_conflict", "Other requests with this Idempotency-Key are running; retry it.")


def _take_over_abandoned(record: IdempotencyRecord, fingerprint: str) -> bool:
    """True if `record`'s first request died (its lease ran out unfinished) and this
    request now holds it instead; the same body only, and only one retry wins."""
    if record.completed or record.fingerprint != fingerprint:
        return False
    now = timezone.now()
    taken = (
        IdempotencyRecord.objects.filter(pk=record.pk, completed=False)
        .filter(models.Q(locked_until__lte=now) | models.Q(locked_until__isnull=True))
        .update(locked_until=_lease_end())
    )
    return taken == 1


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise ApiProblem(
            409,
            "idempotency_conflict",
            "This Idempotency-Key was used with another request; use a new key for a new request.",
        )
    deadline = time.monotonic() + WAIT_FOR_FIRST
    while not record.completed:
        lease_over = record.locked_until is None or record.locked_until <= timezone.now()
        if time.monotonic() > deadline or lease_over:
            raise ApiProblem(
                409,
                "idempotency_conflict",
                "The first request with this Idempotency-Key is still running."
                if not lease_over
                else "The first request with this Idempotency-Key stopped before answering; retry it.",
            )
        time.sleep(0.1)
        try:
            record.refresh_from_db()
        except IdempotencyRecord.DoesNotExist:  # the first one was refused or failed: retry
            raise ApiProblem(409, "idempotency_conflict", "The first request with this key failed; retry it.") from None
    response = HttpResponse(bytes(record.response_body), status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _store(view, request, record: IdempotencyRecord, response) -> None:
    if not getattr(response, "is_rendered", True):
        # A DRF Response: render it now, the way finalize_response will.
        response = view.finalize_response(request, response)
        response.render()
    record.response_status = response.status_code
    record.response_body = response.content
    record.response_headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}
    record.completed = True
    record.save(update_fields=["response_status", "response_body", "response_headers", "completed"])
