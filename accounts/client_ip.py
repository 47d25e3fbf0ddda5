"""The client's address: REMOTE_ADDR, or the one our trusted proxies saw (TRUSTED_PROXY_COUNT)."""

from django.conf import settings


def client_ip(request) -> str:
    """With N trusted proxies in front, the Nth address from the right of X-Forwarded-For.

    Addresses further left were written by the client and are never trusted.
    """
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]
