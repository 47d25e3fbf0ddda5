from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, User
from billing import ledger
from billing.models import Plan
from templates_app import services
from templates_app.models import DesignTemplate
from templates_app.samples import SAMPLES

DEMO_EMAIL = "demo@imagior.dev"
DEMO_PASSWORD = "imagior-demo"  # noqa: S105 (the public demo login, printed by make run)
DEMO_KEY_NAMES = {"live": "Demo live key", "test": "Demo test key"}


class Command(BaseCommand):
    help = (
        "Create the demo account with sample templates (idempotent) and print its login, "
        "a fresh live and test key (the previous demo keys are revoked), and a curl line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=settings.PUBLIC_BASE_URL)

    @transaction.atomic
    def handle(self, *args, base_url, **options):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD)
        user.mark_email_verified()  # the demo account renders live at once (docs/accounts.md)
        ledger.open_account(user, plan=Plan.objects.get(slug="starter"))
        existing = set(DesignTemplate.objects.filter(owner=user).values_list("name", flat=True))
        for sample in SAMPLES:
            if sample["name"] not in existing:
                services.create_template(owner=user, data=sample)
        # Only hashes are stored, so showing keys means issuing new ones.
        ApiKey.objects.filter(user=user, name__in=DEMO_KEY_NAMES.values(), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        _, live = ApiKey.issue(user, name=DEMO_KEY_NAMES["live"], mode="live")
        _, test = ApiKey.issue(user, name=DEMO_KEY_NAMES["test"], mode="test")
        account = ledger.open_account(user)
        template = DesignTemplate.objects.filter(owner=user, name="Blog card").first()
        body = f'{{"template": "{template.public_id}", "modifications": {{"title": "Hello from Imagior"}}}}'
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Imagior demo account",
                    f"  login:     {DEMO_EMAIL} / {DEMO_PASSWORD} ",
                    f"  plan:      {account.plan.name}, {account.balance} credits",
                    f"  live key:  {live}",
                    f"  test key:  {test}   (free, watermarked)",
                    "",
                    "Render an image:",
                    f"  curl -s {base_url}/api/v1/images -H 'Authorization: Bearer {test}' \\",
                    f"       -H 'Content-Type: application/json' -d '{body}'",
                    "",
                ]
            )
        )
