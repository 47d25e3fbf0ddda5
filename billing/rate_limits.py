"""Requests per minute per account (docs/api.md, "Rate limits").

All of an account's live keys share the plan's figure; all its test keys share one
sandbox counter of at most 30. The dashboard's renders count against the same two
counters, so a second key or the dashboard never adds to the budget. Counts live in
the configured cache (django-ratelimit): exact in one process, shared with Redis.
"""

from django_ratelimit.core import get_usage

from billing import ledger

SANDBOX_LIMIT = 30  # requests per minute for all of an account's test keys together


class RateLimited(Exception):
    """Over the account's budget this minute; `headers` carry RateLimit-* and Retry-After."""

    def __init__(self, message: str, headers: dict):
        self.headers = headers
        super().__init__(message)


def per_minute(user, *, sandbox: bool) -> int:
    figure = ledger.open_account(user).plan.rate_limit_per_minute
    return min(figure, SANDBOX_LIMIT) if sandbox else figure


def count(request, user, *, sandbox: bool) -> dict:
    """Count one request against the account's live or sandbox minute and return the
    RateLimit-* headers; RateLimited when over."""
    usage = get_usage(
        request,
        group=f"account-{'sandbox' if sandbox else 'live'}",
        key=lambda group, req: str(user.pk),
        rate=f"{per_minute(user, sandbox=sandbox)}/m",
        increment=True,
    )
    if usage is None:  # rate limiting disabled
        return {}
    headers = headers_for(usage)
    reset = headers["RateLimit-Reset"]
    if usage["should_limit"]:
        kind = "test keys and dashboard test renders" if sandbox else "live keys and live dashboard renders"
        raise RateLimited(
            f"Too many requests this minute for this account's {kind}.", {**headers, "Retry-After": reset}
        )
    return headers


def headers_for(usage: dict) -> dict:
    """The RateLimit-* headers of a django-ratelimit usage (every API answer carries them)."""
    return {
        "RateLimit-Limit": str(usage["limit"]),
        "RateLimit-Remaining": str(max(0, usage["limit"] - usage["count"])),
        "RateLimit-Reset": str(max(1, usage["time_left"])),
    }
