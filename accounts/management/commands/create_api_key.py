from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiKey, User


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create an API key for an account. The last line of output is the full key."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Default key")
        parser.add_argument("--test", action="store_true", help="a sandbox key: free, watermarked renders")
        parser.add_argument("--allowed-ips", help="comma-separated IPs or CIDR ranges")
        parser.add_argument("--allowed-domains", help="comma-separated host names")

    def handle(self, *args, email, name, test, allowed_ips, allowed_domains, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        try:
            key, raw = ApiKey.issue(
                user,
                name=name,
                mode="test" if test else "live",
                allowed_ips=_split(allowed_ips),
                allowed_domains=_split(allowed_domains),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created {key.mode} key {key.public_id} for {user.email}. It is shown only once:")
        self.stdout.write(raw)
