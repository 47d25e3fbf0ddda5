"""Rate limits (django-ratelimit) and key whitelists, applied when a key authenticates.

Counts live in the configured cache: exact within one process with the
in-process default, and across processes with Redis (CACHE_URL).
"""

import ipaddress
from urllib.parse import urlsplit

from django_ratelimit.core import get_usage

from api.client_ip import client_ip
from api.errors import ApiProblem
from billing import rate_limits

FAILED_AUTH_LIMIT = "30/m"  # per client IP


def count_request(request, api_key) -> dict:
    """Count one request against the account's live or sandbox minute (all its keys of
    that mode together, billing/rate_limits.py); raises a 429 problem when over."""
    try:
        headers = rate_limits.count(request, api_key.user, sandbox=api_key.is_test)
    except rate_limits.RateLimited as over:
        getattr(request, "_request", request).rate_limit_headers = over.headers
        raise ApiProblem(429, "rate_limited", str(over), headers=over.headers) from None
    # Kept on the Django request so every response, errors included, carries them.
    getattr(request, "_request", request).rate_limit_headers = headers
    return headers


def refuse_if_failing_too_often(request) -> None:
    """Before looking a key up: refuse an IP that failed authentication too often this minute.

    Until a key is known, the response carries this limiter's RateLimit-* headers.
    """
    usage = get_usage(request, group="auth-failures", key=lambda g, r: client_ip(r), rate=FAILED_AUTH_LIMIT)
    over = bool(usage) and usage["count"] >= usage["limit"]
    _enforce(request, usage, "Too many failed authentication attempts from this address.", over=over)


def count_failure(request) -> None:
    get_usage(request, group="auth-failures", key=lambda g, r: client_ip(r), rate=FAILED_AUTH_LIMIT, increment=True)


def _enforce(request, usage: dict | None, message: str, over: bool = False) -> dict:
    if usage is None:  # limits disabled
        return {}
    headers = rate_limits.headers_for(usage)
    reset = headers["RateLimit-Reset"]
    # Kept on the Django request so every response, errors included, carries them.
    getattr(request, "_request", request).rate_limit_headers = headers
    if over or usage["should_limit"]:
        raise ApiProblem(429, "rate_limited", message, headers={**headers, "Retry-After": str(reset)})
    return headers


def check_whitelists(request, api_key) -> None:
    """Refuse callers outside the key's allowed IPs (403 ip_not_allowed) or sites (403 origin_not_allowed)."""
    if api_key.allowed_ips:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            address = None
        if address is not None and address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        networks = [ipaddress.ip_network(value, strict=False) for value in api_key.allowed_ips]
        if address is None or not any(address.version == net.version and address in net for net in networks):
            raise ApiProblem(403, "ip_not_allowed", "This API key may not be used from this IP address.")
    if api_key.allowed_domains:
        host = _caller_site(request)
        if host is None or not any(_host_matches(host, allowed) for allowed in api_key.allowed_domains):
            raise ApiProblem(403, "origin_not_allowed", "This API key may not be used from this site.")


def _caller_site(request) -> str | None:
    for header in ("HTTP_ORIGIN", "HTTP_REFERER"):
        value = request.META.get(header)
        if value and value != "null":
            host = urlsplit(value).hostname
            if host:
                return host.lower().rstrip(".")
    return None


def _host_matches(host: str, allowed: str) -> bool:
    """`example.com` allows exactly that host; `*.example.com` allows its subdomains."""
    allowed = allowed.lower().rstrip(".")
    if allowed.startswith("*."):
        return host.endswith(allowed[1:])
    return host == allowed
