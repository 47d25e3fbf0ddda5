from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing import ledger
from billing.models import LedgerEntry


class Command(BaseCommand):
    help = "Add N credits (N may be negative) to an account through the ledger."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("credits", type=int)
        parser.add_argument("--reason", default="")

    def handle(self, *args, email, credits, reason, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        if credits == 0:
            raise CommandError("N must not be zero.")
        kind = LedgerEntry.Kind.GRANT if credits > 0 else LedgerEntry.Kind.ADJUSTMENT
        try:
            balance = ledger.adjust_credits(
                user,
                amount=credits,
                kind=kind,
                reason=reason or "Granted with manage.py",
                created_by="manage.py grant_credits",
            )
        except ledger.NegativeBalance:
            raise CommandError("The balance cannot go below zero.") from None
        self.stdout.write(f"{user.email}: {credits:+d} credits, balance {balance}.")
