from django.core.management.base import BaseCommand, CommandError

from accounts.deletion import delete_account
from accounts.models import User


class Command(BaseCommand):
    help = "Delete an account, its keys, templates, images and files; its payments are kept, anonymised."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="really delete (there is no undo)")

    def handle(self, *args, email, yes, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        if not yes:
            raise CommandError(f"This deletes {user.email} and everything of theirs for good: add --yes.")
        delete_account(user)
        self.stdout.write(f"Deleted {email}; its payments are kept without it.")
