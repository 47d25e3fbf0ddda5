from django.core.management.base import BaseCommand, CommandError

from billing import ledger
from billing.models import BillingAccount


class Command(BaseCommand):
    help = (
        "Verify that every balance, this period's usage counter and the daily usage rollups' credits "
        "equal the sums of the ledger; "
        "exits non-zero on any drift."
    )

    def handle(self, *args, **options):
        drifted = 0
        accounts = BillingAccount.objects.select_related("user")
        for account in accounts.iterator():
            drift = ledger.ledger_drift(account)
            usage = ledger.usage_drift(account)
            rollups = ledger.rollup_drift(account)
            if drift:
                self.stdout.write(
                    f"{account.user.email}: balance {account.balance} is off by {drift[0]:+d}, "
                    f"carry-over {account.carryover_credits} by {drift[1]:+d}"
                )
            if usage:
                self.stdout.write(
                    f"{account.user.email}: used this period {account.used_this_period} is off by {usage:+d}"
                )
            if rollups:
                self.stdout.write(f"{account.user.email}: credits in the daily usage rollups are off by {rollups:+d}")
            drifted += bool(drift or usage or rollups)
        if drifted:
            raise CommandError(f"{drifted} account(s) drift from their ledger.")
        self.stdout.write(f"OK: {accounts.count()} account(s) match their ledger.")
