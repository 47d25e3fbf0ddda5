"""Our settings for django-allauth's flows (docs/accounts.md)."""

from allauth.account.adapter import DefaultAccountAdapter

from accounts.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The address allauth's rate limits count by: the same rule as the API's
        (REMOTE_ADDR, or what our TRUSTED_PROXY_COUNT proxies saw), so clients behind
        a proxy get a bucket each and a client cannot pick its own by sending X-Forwarded-For."""
        return client_ip(request)
