"""One way to write a moment in JSON: ISO 8601 in UTC with a `Z` (what the API's serializers write)."""

from datetime import UTC, datetime

from django.utils import timezone


def iso_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now_iso_z() -> str:
    return iso_z(timezone.now())


def from_now_in_words(moment: datetime, now: datetime | None = None) -> str:
    """When `moment` comes, for people: "in under a minute", "in 5 minutes", "in about 2 hours", "in 3 days".

    A moment already past reads "in under a minute" (what is due goes out at the next pass).
    """
    seconds = (moment - (now or timezone.now())).total_seconds()
    if seconds < 60:
        return "in under a minute"
    if seconds < 3600:
        minutes = min(59, round(seconds / 60))
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 86400:
        hours = round(seconds / 3600)
        return f"in about {hours} hour{'s' if hours != 1 else ''}"
    days = round(seconds / 86400)
    return f"in about {days} day{'s' if days != 1 else ''}"
