from django.core.management.base import BaseCommand, CommandError

from billing import ledger
from billing.models import BillingAccount


class Command(BaseCommand):
    help = "Verify that every balance equals the sum of its ledger; exits non-zero on any drift."

    def handle(self, *args, **options):
        drifted = 0
        accounts = BillingAccount.objects.select_related("user")
        for account in accounts.iterator():
            drift = ledger.ledger_drift(account)
            if drift:
                drifted += 1
                self.stdout.write(
                    f"{account.user.email}: balance {account.balance} is off by {drift[0]:+d}, "
                    f"carry-over {account.carryover_credits} by {drift[1]:+d}"
                )
        if drifted:
            raise CommandError(f"{drifted} account(s) drift from their ledger.")
        self.stdout.write(f"OK: {accounts.count()} account(s) match their ledger.")
