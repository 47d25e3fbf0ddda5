"""API usage: one cheap row per request, and daily figures from that log and the ledger."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.models import LedgerEntry, RequestLog


def record_request(
    *, user, api_key, method: str, endpoint: str, status: int, duration_ms: int, created_image: bool
) -> None:
    """Log one API request (a single INSERT)."""
    RequestLog.objects.create(
        user=user,
        api_key=api_key,
        sandbox=bool(api_key and api_key.is_test),
        method=method,
        endpoint=endpoint[:64],
        status=status,
        duration_ms=max(0, duration_ms),
        created_image=created_image,
    )


def daily_usage(user, *, days: int, today: date | None = None) -> dict:
    """Per-day requests, images, credits used and errors for the last `days` days (UTC), with totals.

    Requests, errors and images (live and sandbox) come from the request log;
    credits from the ledger (renders net of refunds), so they agree with the balance.
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=timezone.UTC)
    rows = {
        day: {"date": day.isoformat(), "requests": 0, "images": 0, "credits_used": 0, "errors": 0}
        for day in (first + timedelta(days=offset) for offset in range(days))
    }
    requests = (
        RequestLog.objects.filter(user=user, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            requests=Count("id"),
            errors=Count("id", filter=Q(status__gte=400)),
            images=Count("id", filter=Q(created_image=True)),
        )
    )
    for row in requests:
        if row["day"] in rows:
            rows[row["day"]].update(requests=row["requests"], errors=row["errors"], images=row["images"])
    credits = (
        LedgerEntry.objects.filter(
            account__user=user, created_at__gte=since, kind__in=[LedgerEntry.Kind.RENDER, LedgerEntry.Kind.REFUND]
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(spent=Sum("amount"))
    )
    for row in credits:
        if row["day"] in rows:
            rows[row["day"]]["credits_used"] = -row["spent"]
    listed = list(rows.values())
    totals = {key: sum(day[key] for day in listed) for key in ("requests", "images", "credits_used", "errors")}
    return {"days": listed, "totals": totals}


def usage_by_key(user, *, since: datetime) -> list[dict]:
    """Requests, images and errors per API key since `since`, busiest first."""
    return list(
        RequestLog.objects.filter(user=user, created_at__gte=since)
        .values("api_key__public_id", "api_key__name", "api_key__prefix")
        .annotate(
            requests=Count("id"),
            errors=Count("id", filter=Q(status__gte=400)),
            images=Count("id", filter=Q(created_image=True)),
        )
        .order_by("-requests")
    )


def prune_request_log(now: datetime | None = None) -> int:
    """Delete request-log rows older than REQUEST_LOG_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REQUEST_LOG_RETENTION_DAYS)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
