"""What happens when someone signs up (allauth's sign-up form or a first social log-in).

`accounts` imports no other app (tests/test_architecture.py), so what other apps do for a new
user (billing opens the credit balance) hangs off the `signed_up` signal,
connected in their AppConfig.ready(). allauth's `user_signed_up` is forwarded
to it (accounts/apps.py).
"""

from django.dispatch import Signal

# Sent with `user` once the new user is saved.
signed_up = Signal()


def forward_allauth_sign_up(sender, request, user, **kwargs) -> None:
    signed_up.send(sender=type(user), user=user)
