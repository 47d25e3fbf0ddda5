from rest_framework import authentication, exceptions

from accounts.models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer imk_…`; sets request.user to the owner and request.auth to the ApiKey."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise exceptions.AuthenticationFailed()
        # One answer for malformed, unknown and revoked keys (no oracle).
        key = ApiKey.objects.find_active(token)
        if key is None:
            raise exceptions.AuthenticationFailed()
        key.touch()
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="imagior"'
