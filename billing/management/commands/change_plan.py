from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing import payments
from billing.models import Plan


class Command(BaseCommand):
    help = "Change an account's plan as the user would (upgrade now, downgrade next period), via the manual provider."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("plan", help="plan slug")

    def handle(self, *args, email, plan, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        chosen = Plan.objects.filter(slug=plan).first()
        if chosen is None:
            raise CommandError(f"No plan {plan!r}.")
        if payments.provider_name() != "manual":
            raise CommandError("Plan changes from the command line need the manual payment provider.")
        payments.request_plan_change(user, plan=chosen)
        account = user.billing
        account.refresh_from_db()
        pending = (
            f", {account.pending_plan.name} from {account.period_ends_at:%Y-%m-%d}" if account.pending_plan else ""
        )
        self.stdout.write(f"{user.email}: plan {account.plan.name}{pending}; balance {account.balance}.")
