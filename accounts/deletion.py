"""Deleting an account (docs/accounts.md, "Deleting an account").

One call deletes the user, their personal workspace (docs/workspaces.md) and, by
cascade, everything of theirs: keys, templates,
images, fonts, webhooks, the ledger. Receivers of the apps that own other data do
the rest: billing cancels a Stripe subscription and keeps the payments with an
opaque label (billing/deletion.py); templates_app removes the stored files once
the deletion has committed (templates_app/deletion.py).
"""

from django.db import transaction

from accounts.models import Workspace


def delete_account(user) -> None:
    with transaction.atomic():
        personal = list(Workspace.objects.filter(memberships__user=user, memberships__personal=True))
        user.delete()
        for workspace in personal:
            workspace.delete()
