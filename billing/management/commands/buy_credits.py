from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing import payments
from billing.models import CreditPack


class Command(BaseCommand):
    help = "Buy a credit pack for an account through the manual payment provider."

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
        if payments.provider_name() != "manual":
            raise CommandError("Purchases from the command line need the manual payment provider.")
        payments.buy_pack(user, pack=chosen)
        user.billing.refresh_from_db()
        self.stdout.write(f"{user.email}: +{chosen.credits} credits, balance {user.billing.balance}.")
