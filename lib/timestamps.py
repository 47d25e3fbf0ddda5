"""One way to write a moment in JSON: ISO 8601 in UTC with a `Z` (what the API's serializers write)."""

from datetime import UTC, datetime

from django.utils import timezone


def iso_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now_iso_z() -> str:
    return iso_z(timezone.now())
