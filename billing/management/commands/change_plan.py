import dataclasses

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing import payments
from billing.models import Plan


class Command(BaseCommand):
    help = (
        "Change an account's plan as the user would (a paid plan starts now, an upgrade applies now, a "
        "downgrade next period), recording a manual payment that is marked paid at once."
    )

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
        quote = dataclasses.replace(payments.quote_plan(user, plan=chosen), provider="manual")
        try:
            checkout = payments.confirm(user, quote, by="manage.py change_plan")
            if checkout.payment:
                payments.complete_payment(checkout.payment, by="manage.py change_plan")
        except payments.PaymentError as exc:
            raise CommandError(str(exc)) from None
        account = user.billing
        account.refresh_from_db()
        pending = (
            f", {account.pending_plan.name} from {account.period_ends_at:%Y-%m-%d}" if account.pending_plan else ""
        )
        self.stdout.write(f"{user.email}: plan {account.plan.name}{pending}; balance {account.balance}.")
