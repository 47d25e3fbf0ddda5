from django.core.management.base import BaseCommand

from billing import plans


class Command(BaseCommand):
    help = "Start a new billing period (refill to the plan's credits) for accounts whose period ended. Idempotent."

    def handle(self, *args, **options):
        renewed = plans.renew_due_periods()
        self.stdout.write(f"Renewed {renewed} account(s).")
