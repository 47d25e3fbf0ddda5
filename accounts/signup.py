"""Creating an account from the sign-up page.

`accounts` imports no other app (STYLE.md), so what other apps do for a new
user (billing opens the credit balance) hangs off the `signed_up` signal,
connected in their AppConfig.ready().
"""

from django.db import transaction
from django.dispatch import Signal

from accounts.models import User

# Sent with `user` inside the sign-up transaction.
signed_up = Signal()


def sign_up(*, email: str, password: str) -> User:
    """Create a user who logs in with `email` and tell the other apps about them."""
    with transaction.atomic():
        user = User.objects.create_user(email, password)
        signed_up.send(sender=User, user=user)
    return user


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
