from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiKey, User, Workspace


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create an API key for an account. The last line of output is the full key."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Default key")
        parser.add_argument(
            "--workspace", help="wsp_… id of a workspace the user owns or administers (default: their personal one)"
        )
        parser.add_argument("--test", action="store_true", help="a sandbox key: free, watermarked renders")
        parser.add_argument("--allowed-ips", help="comma-separated IPs or CIDR ranges")
        parser.add_argument("--allowed-domains", help="comma-separated host names")
        parser.add_argument("--scopes", help="comma-separated scopes, e.g. images:write,templates:read (default: all)")
        parser.add_argument("--templates", help="comma-separated template ids the key may use (default: all)")
        parser.add_argument(
            "--expires-in-days", type=int, help="the key stops working after N days (0: already expired, for tests)"
        )

    def handle(self, *args, email, name, test, allowed_ips, allowed_domains, **options):
        expires_in_days = options["expires_in_days"]
        if expires_in_days is not None and expires_in_days < 0:
            raise CommandError("--expires-in-days must be 0 or more.")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email}.")
        workspace = None
        if options["workspace"]:
            workspace = Workspace.objects.filter(public_id=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace {options['workspace']}.")
        try:
            key, raw = ApiKey.issue(
                user,
                name=name,
                mode="test" if test else "live",
                allowed_ips=_split(allowed_ips),
                allowed_domains=_split(allowed_domains),
                scopes=_split(options["scopes"]),
                allowed_templates=_split(options["templates"]),
                expires_at=None if expires_in_days is None else timezone.now() + timedelta(days=expires_in_days),
                workspace=workspace,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Created {key.mode} key {key.public_id} for {user.email} in {key.workspace.public_id}. "
            "It is shown only once:"
        )
        self.stdout.write(raw)
