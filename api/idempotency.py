"""`Idempotency-Key` on POST (docs/api.md, "Idempotency"), the way Stripe does it.

A key belongs to (account, key mode): a test key and a live key sending the same
string make two requests. The first request with a key claims it (a unique row,
committed before any work) and holds it under a lease; its answer is stored and
replayed for any repeat with the same method, path and body, which therefore
charges once. A repeat with another body is 409 `idempotency_conflict`. A repeat
that arrives while the first is still running waits for it and replays its
answer, so concurrent duplicates render once; if the first request died (its
process was killed) its lease runs out and a retry takes the record over, with
one conditional UPDATE so only one retry can. Only successful answers (2xx) are
stored: a refused or failed request changed nothing (a failed render is
refunded), so it may be retried with the same key.
"""

import functools
import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import IdempotencyRecord
from api.errors import ApiProblem

logger = logging.getLogger(__name__)

KEEP_FOR = timedelta(hours=24)
WAIT_FOR_FIRST = 60  # seconds a duplicate waits for the first request to finish
REPLAYED_HEADERS = ["Content-Type", "Location", "X-Credits-Remaining"]


def lease() -> timedelta:
    """How long a request holds its key before a retry may take it over: longer than a
    request can run (IDEMPOTENCY_LEASE_SECONDS; imagior/settings.py says why)."""
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


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
        held = _claim(request.user, request.auth.is_test, key, _fingerprint(request))
        if isinstance(held, HttpResponse):
            return held  # the first request's answer, replayed
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            response = view.handle_exception(exc)
        if not 200 <= response.status_code < 300:
            _release(held)
            return response
        _store(view, request, held, response)
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


def _claim(user, sandbox: bool, key: str, fingerprint: str) -> IdempotencyRecord | HttpResponse:
    """Hold the key for this request (a new record, or one whose lease ran out), or the first answer to replay."""
    records = IdempotencyRecord.objects.filter(user=user, sandbox=sandbox, key=key)
    records.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    deadline = time.monotonic() + WAIT_FOR_FIRST
    while True:
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user, sandbox=sandbox, key=key, fingerprint=fingerprint, locked_until=timezone.now() + lease()
                )
        except IntegrityError:
            pass
        # Another request holds the key: replay its answer, wait for it, or take over from a dead one.
        while (record := records.first()) is not None:
            if record.fingerprint != fingerprint:
                raise ApiProblem(
                    409,
                    "idempotency_conflict",
                    "This Idempotency-Key was used with another request; use a new key for a new request.",
                )
            if record.completed:
                return _replay(record)
            if _take_over(record):
                return record
            if time.monotonic() > deadline:
                raise ApiProblem(
                    409, "idempotency_conflict", "The first request with this Idempotency-Key is still running."
                )
            time.sleep(0.1)
        # The holder was refused and let go of the key in between: claim it again.
        if time.monotonic() > deadline:
            raise ApiProblem(
                409, "idempotency_conflict", "Other requests with this Idempotency-Key are running; retry it."
            )


def _take_over(record: IdempotencyRecord) -> bool:
    """Take over a record whose lease has run out (its request died); True if this request now holds it.

    One UPDATE conditional on the lease we saw: of two retries only one changes the row.
    """
    now = timezone.now()
    if record.locked_until is not None and record.locked_until > now:
        return False
    new_lease = now + lease()
    taken = IdempotencyRecord.objects.filter(pk=record.pk, completed=False, locked_until=record.locked_until).update(
        locked_until=new_lease, created_at=now
    )
    if taken:
        logger.warning("Idempotency-Key %r: the request holding it let its lease run out; a retry took it", record.key)
        record.locked_until, record.created_at = new_lease, now
    return bool(taken)


def _held(record: IdempotencyRecord):
    """The record as long as this request still holds it (no other request took it over)."""
    return IdempotencyRecord.objects.filter(pk=record.pk, completed=False, locked_until=record.locked_until)


def _release(record: IdempotencyRecord) -> None:
    _held(record).delete()


def _replay(record: IdempotencyRecord) -> HttpResponse:
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
    stored = _held(record).update(
        response_status=response.status_code,
        response_body=response.content,
        response_headers={name: response[name] for name in REPLAYED_HEADERS if name in response},
        completed=True,
        locked_until=None,
    )
    if not stored:
        # Ran past its lease and a retry took the record over: that retry's answer is the one kept.
        logger.warning("Idempotency-Key %r: the answer came after the lease ended; not stored", record.key)
