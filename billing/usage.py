"""API usage: one cheap row per request for debugging, and daily rollups for every figure.

Every usage figure (`/api/v1/usage`, the dashboard's charts and CSV) is read from
UsageDay rows, which `add_usage` moves in the same transaction as the event they
count (docs/billing.md, "Where usage figures come from"). The raw request log is
kept REQUEST_LOG_RETENTION_DAYS days for admins and debugging only.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import ApiKey
from billing.models import RequestLog, UsageDay

COUNTERS = ("requests", "errors", "images", "sandbox_images", "failed", "credits_used")
DAILY_FIGURES = ("requests", "images", "credits_used", "errors")


def add_usage(user, *, key: str = "", template: str = "", day: date | None = None, **counts: int) -> None:
    """Add `counts` (e.g. requests=1, errors=0) to the user's rollup row for (day, key, template).

    One `UPDATE … SET col = col + n`; when the row does not exist yet it is created in a
    savepoint, and if a concurrent request created it first (the unique constraint) the
    UPDATE runs again. Call it inside the transaction of the event it counts.
    """
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise TypeError(f"Unknown usage counters: {', '.join(sorted(unknown))}")
    counts = {name: n for name, n in counts.items() if n}
    if not counts:
        return
    user_id = getattr(user, "pk", user)
    day = day or timezone.now().date()  # UTC: USE_TZ, TIME_ZONE = "UTC"
    rows = UsageDay.objects.filter(user_id=user_id, day=day, key=key, template=template)
    changes = {name: F(name) + n for name, n in counts.items()}
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            UsageDay.objects.create(user_id=user_id, day=day, key=key, template=template, **counts)
    except IntegrityError:  # created concurrently: it exists now
        rows.update(**changes)


def record_request(
    *, user, api_key, method: str, endpoint: str, status: int, duration_ms: int, created_image: bool
) -> None:
    """Log one API request and count it in the day's rollup (one transaction, one commit)."""
    with transaction.atomic():
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
        add_usage(user, key=api_key.public_id if api_key else "", requests=1, errors=int(status >= 400))


def _rollups(user, since_day: date, until_day: date | None = None):
    rows = UsageDay.objects.filter(user=user, day__gte=since_day)
    return rows.filter(day__lte=until_day) if until_day else rows


def daily_usage(user, *, days: int, today: date | None = None) -> dict:
    """Per-day requests, images, credits used and errors for the last `days` days (UTC), with totals.

    From the rollups only: requests and errors are API requests, images every image created
    that day (API and dashboard, live and sandbox), credits the renders net of refunds on
    the day of their ledger rows, so they agree with the balance.
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = {
        day: {"date": day.isoformat(), "requests": 0, "images": 0, "credits_used": 0, "errors": 0}
        for day in (first + timedelta(days=offset) for offset in range(days))
    }
    sums = _rollups(user, first, today).values("day").annotate(**{name: Sum(name) for name in DAILY_FIGURES}).order_by()
    for row in sums:
        rows[row["day"]].update({name: row[name] for name in DAILY_FIGURES})
    listed = list(rows.values())
    totals = {name: sum(day[name] for day in listed) for name in DAILY_FIGURES}
    return {"days": listed, "totals": totals}


def usage_by_key(user, *, since_day: date) -> list[dict]:
    """Requests, images and errors per API key since `since_day`, busiest first.

    The key "" is the dashboard (its renders; it makes no API requests). A deleted key
    keeps its id with an empty name."""
    rows = [
        row
        for row in _rollups(user, since_day)
        .values("key")
        .annotate(requests=Sum("requests"), errors=Sum("errors"), images=Sum("images"))
        .order_by("-requests", "-images", "key")
        if row["requests"] or row["images"] or row["errors"]
    ]
    keys = {
        key.public_id: key
        for key in ApiKey.objects.filter(user=user, public_id__in=[row["key"] for row in rows if row["key"]])
    }
    listed = []
    for row in rows:
        found = keys.get(row["key"])
        name = "Dashboard" if not row["key"] else (found.name if found else "")
        listed.append(
            {
                "key": row["key"],
                "api_key__public_id": row["key"] or None,
                "api_key__name": name,
                "api_key__prefix": found.prefix if found else "",
                "requests": row["requests"],
                "errors": row["errors"],
                "images": row["images"],
            }
        )
    return listed


def prune_request_log(now: datetime | None = None) -> int:
    """Delete request-log rows older than REQUEST_LOG_RETENTION_DAYS; returns how many (the rollups stay)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REQUEST_LOG_RETENTION_DAYS)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
