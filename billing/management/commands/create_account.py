from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import User
from billing import ledger, plans
from billing.models import Plan


class Command(BaseCommand):
    help = "Create an account (idempotent): set its plan and, with --credits, its balance."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password")
        parser.add_argument("--plan", help="plan slug (free, starter, pro, business)")
        parser.add_argument("--credits", type=int, help="set the balance to exactly this many credits")

    def handle(self, *args, email, password, plan, credits, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an e-mail address.") from None
        plan_obj = None
        if plan:
            plan_obj = Plan.objects.filter(slug=plan).first()
            if plan_obj is None:
                slugs = ", ".join(Plan.objects.values_list("slug", flat=True))
                raise CommandError(f"No plan {plan!r}; choose one of: {slugs}.")
        if credits is not None and credits < 0:
            raise CommandError("--credits must be zero or more.")

        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(email, password)
            user.mark_email_verified()  # an operator vouches for it (docs/accounts.md)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        account = ledger.open_account(user, plan=plan_obj)
        if plan_obj:
            account = plans.set_plan(user, plan=plan_obj, by="manage.py create_account")
        if credits is not None:
            ledger.set_balance(
                user, balance=credits, reason="Set by create_account", created_by="manage.py create_account"
            )
        account.refresh_from_db()
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {user.email}: plan {account.plan.slug}, {account.balance} credits.")
