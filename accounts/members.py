"""Adding people to a workspace (docs/workspaces.md). Phase 1: `manage.py add_member`;
invitations (phase 2) will end in the same function."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import audit
from accounts.models import Membership, Workspace


def add_member(*, workspace: Workspace, user, role: str, actor=None, by: str = "", request=None) -> Membership:
    """Make `user` an admin or member of `workspace`, with a `member.added` audit event.

    ValidationError for an owner role (a workspace has one owner, moved only by a
    transfer) and for a user who is a member already."""
    if role not in (Membership.Role.ADMIN, Membership.Role.MEMBER):
        raise ValidationError("A member is added as admin or member; a workspace has exactly one owner.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(workspace=workspace, user=user, role=role)
            details = {"role": role, **({"by": by} if by else {})}
            audit.record(workspace, actor, "member.added", user.email, details, request)
    except IntegrityError:  # membership_one_per_user_and_workspace
        raise ValidationError(f"{user.email} is a member of {workspace.public_id} already.") from None
    return membership
