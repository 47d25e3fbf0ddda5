from rest_framework import authentication, exceptions

from accounts.models import ApiKey
from api import limits


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer imk_…`; sets request.user to the owner and request.auth to the ApiKey.

    Then the key's whitelists and its rate limit apply; failed attempts are
    limited per client IP.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        limits.refuse_if_failing_too_often(request)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        # One answer for malformed, unknown and revoked keys (no oracle).
        key = ApiKey.objects.find_active(token) if scheme.lower() == "bearer" and token else None
        if key is None:
            limits.count_failure(request)
            raise exceptions.AuthenticationFailed()
        limits.check_whitelists(request, key)
        limits.count_request(request, key)
        key.touch()
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="imagior"'
