"""Our settings for django-allauth's flows (docs/accounts.md)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404

from accounts.client_ip import client_ip
from accounts.models import personal_workspace


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The address allauth's rate limits count by: the same rule as the API's
        (REMOTE_ADDR, or what our TRUSTED_PROXY_COUNT proxies saw), so clients behind
        a proxy get a bucket each and a client cannot pick its own by sending X-Forwarded-For."""
        return client_ip(request)

    def save_user(self, request, user, form, commit=True):
        """allauth saves the new user itself (not through create_user): give them their
        personal workspace in the same step (docs/workspaces.md)."""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            personal_workspace(user)
        return user


class ProviderNotConfigured(SocialApp.DoesNotExist, Http404):
    """A provider whose OAuth app is not configured: a 404 for its URLs, and still the
    DoesNotExist that allauth's own callers expect."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotConfigured(f"{provider} sign-in is not configured.") from None

    def save_user(self, request, sociallogin, form=None):
        """A first Google/GitHub sign-in makes the user here, without create_user (an
        automatic sign-up never reaches AccountAdapter.save_user): the personal workspace too."""
        user = super().save_user(request, sociallogin, form=form)
        personal_workspace(user)
        return user

    def authenticate_by_email(self, sociallogin):
        """Log a Google/GitHub sign-in into an existing account only when the address is
        verified on both sides: allauth already insists on the provider's word; we also
        want ours, so an address someone typed at sign-up and never confirmed cannot
        hand the account to whoever holds it at the provider."""
        found = super().authenticate_by_email(sociallogin)
        if found is None:
            return None
        user, email = found
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return None
        return found
