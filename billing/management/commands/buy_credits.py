import dataclasses

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing import payments
from billing.models import CreditPack


class Command(BaseCommand):
    help = "Record a manual payment for a credit pack and mark it paid (an operator who received the money)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("pack", help="pack slug, e.g. pack-500")

    def handle(self, *args, email, pack, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        chosen = CreditPack.objects.filter(slug=pack, is_active=True).first()
        if chosen is None:
            slugs = ", ".join(CreditPack.objects.filter(is_active=True).values_list("slug", flat=True))
            raise CommandError(f"No pack {pack!r}; choose one of: {slugs}.")
        quote = dataclasses.replace(payments.quote_pack(user, pack=chosen), provider="manual")
        payment = payments.confirm(user, quote).payment
        payments.complete_payment(payment, by="manage.py buy_credits")
        user.billing.refresh_from_db()
        self.stdout.write(f"{user.email}: +{chosen.credits} credits, balance {user.billing.balance}.")
