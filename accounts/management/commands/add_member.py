from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.members import add_member
from accounts.models import Membership, User, personal_workspace


class Command(BaseCommand):
    help = "Add an existing user to the owner's personal workspace as an admin or member."

    def add_arguments(self, parser):
        parser.add_argument("owner_email")
        parser.add_argument("member_email")
        parser.add_argument(
            "--role", choices=[Membership.Role.ADMIN, Membership.Role.MEMBER], default=Membership.Role.MEMBER
        )

    def handle(self, *args, owner_email, member_email, role, **options):
        owner = User.objects.filter(email__iexact=owner_email).first()
        if owner is None:
            raise CommandError(f"No account with e-mail {owner_email}.")
        member = User.objects.filter(email__iexact=member_email).first()
        if member is None:
            raise CommandError(f"No account with e-mail {member_email}: they sign up first.")
        if member.pk == owner.pk:
            raise CommandError(f"{owner.email} owns the workspace already.")
        workspace = personal_workspace(owner)
        try:
            add_member(workspace=workspace, user=member, role=role, by="manage.py add_member")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Added {member.email} to {workspace.name} ({workspace.public_id}) as {role}.")
