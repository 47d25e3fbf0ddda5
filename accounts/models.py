import base64
import ipaddress
import re
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import keys, roles
from accounts.ids import new_public_id
from accounts.scopes import validate_scopes


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in standard base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_callback_secret() -> str:
    return new_webhook_secret()


def new_url_signing_secret() -> str:
    return "uss_" + secrets.token_urlsafe(24)


def new_key_id() -> str:
    return new_public_id("key")


def new_workspace_id() -> str:
    return new_public_id("wsp")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # None gives an unusable password
        with transaction.atomic(using=self._db):
            user.save(using=self._db)
            personal_workspace(user)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who owns templates, keys and a credit balance. Logs in by e-mail."""

    email = models.EmailField(unique=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Signs callback_url deliveries (Standard Webhooks) and signed image URLs.
    callback_secret = models.CharField(max_length=64, default=new_callback_secret)
    url_signing_secret = models.CharField(max_length=64, default=new_url_signing_secret)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def roll_callback_secret(self) -> str:
        """Replace the callback secret; deliveries signed with the old one stop verifying."""
        self.callback_secret = new_callback_secret()
        self.save(update_fields=["callback_secret"])
        return self.callback_secret

    def roll_url_signing_secret(self) -> str:
        """Replace the URL-signing secret; signed URLs made with the old one get 403."""
        self.url_signing_secret = new_url_signing_secret()
        self.save(update_fields=["url_signing_secret"])
        return self.url_signing_secret

    def has_verified_email(self) -> bool:
        """Whether allauth has a confirmed address for this user (docs/accounts.md: live renders wait for it)."""
        return EmailAddress.objects.filter(user=self, verified=True).exists()

    def require_verified_email(self) -> None:
        """Raise EmailNotVerified unless the user has confirmed an address."""
        if not self.has_verified_email():
            raise EmailNotVerified(
                f"Confirm {self.email} first: the link is in the e-mail we sent at sign-up "
                "(the dashboard's profile page sends a new one). Test keys work meanwhile."
            )

    def mark_email_verified(self) -> None:
        """Record the current address as confirmed and primary (create_account, the demo, migrations)."""
        address = EmailAddress.objects.filter(user=self, email__iexact=self.email).first()
        if address is None:
            EmailAddress.objects.filter(user=self, primary=True).update(primary=False)
            EmailAddress.objects.create(user=self, email=self.email.lower(), verified=True, primary=True)
        elif not (address.verified and address.primary):
            EmailAddress.objects.filter(user=self, primary=True).exclude(pk=address.pk).update(primary=False)
            address.verified, address.primary = True, True
            address.save(update_fields=["verified", "primary"])


class Workspace(models.Model):
    """What a team shares (docs/workspaces.md). Phase 1: every user has a personal one, and
    API keys belong to one; the rest of the objects still belong to the user."""

    public_id = models.CharField(max_length=40, unique=True, default=new_workspace_id, editable=False)
    name = models.CharField(max_length=100)
    # Made for one user at sign-up (or by the migration); never a team's shared workspace.
    personal = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class Membership(models.Model):
    """A user's place in a workspace, with a role (accounts/roles.py says what each may do)."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # The owner's membership of their personal workspace (a copy of Workspace.personal on the
    # one row where it matters, so the database can hold "one personal workspace per user").
    personal = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_one_per_user_and_workspace"),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(role="owner"), name="membership_one_owner_per_workspace"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(personal=True), name="membership_one_personal_workspace_per_user"
            ),
            models.CheckConstraint(
                condition=Q(personal=False) | Q(role="owner"), name="membership_personal_only_for_the_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class AuditEvent(models.Model):
    """One action on money, keys, members or webhooks in a workspace (docs/workspaces.md, "Audit log").

    Append-only: written by `accounts.audit.record` in the action's own transaction; a
    trigger refuses every UPDATE but the one deleting a user makes (actor set to NULL).
    Deleting the workspace deletes its log."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    # Who acted: NULL for the system (Stripe, the renewal, a command), and once the user is
    # deleted; `actor_email` keeps the address they had then.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40)  # a dotted name: key.created, credits.granted, …
    target = models.CharField(max_length=254, blank=True)  # the public id acted on (a member: their e-mail)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The audit page lists one workspace's events, newest first.
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"], name="auditevent_workspace_recent")]

    def __str__(self) -> str:
        return f"{self.action} {self.target} by {self.actor_email or self.details.get('by') or 'system'}"


def personal_workspace_name(email: str) -> str:
    """The name of a personal workspace: "Ada Lovelace's workspace" for ada.lovelace@…, else "Personal"."""
    local = (email or "").split("@", 1)[0].split("+", 1)[0]
    words = [word for word in re.split(r"[._\-\s]+", local) if word]
    if not words or not words[0][0].isalpha():
        return "Personal"
    name = " ".join(word[:1].upper() + word[1:] for word in words)
    return f"{name[:80]}'s workspace"


def personal_workspace(user) -> Workspace:
    """The user's personal workspace, made (with their owner membership) on first call.

    Safe under races: the database holds one personal workspace per user
    (membership_one_personal_workspace_per_user), so a second maker's insert fails
    inside its savepoint and it reads the winner's."""
    lookup = {"memberships__user": user, "memberships__personal": True}
    # get(), not first(): first() sorts by the default ordering (a temporary B-tree on SQLite),
    # where the partial unique index on memberships finds the one row.
    try:
        return Workspace.objects.get(**lookup)
    except Workspace.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=personal_workspace_name(user.email), personal=True)
            Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.OWNER, personal=True)
    except IntegrityError:
        return Workspace.objects.get(**lookup)
    return workspace


class EmailNotVerified(Exception):
    """A live render by an account whose e-mail address is not confirmed yet (403 email_not_verified)."""


class TemplateNotAllowed(Exception):
    """A restricted key named a template outside its allow-list (403 template_not_allowed)."""


# How long a rolled key's predecessor keeps working (the dashboard's choices).
ROLL_GRACE_PERIODS = {
    "none": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


def validate_scope_list(values: list[str]) -> None:
    try:
        validate_scopes(values)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def validate_template_ids(values: list[str]) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.startswith("tpl_") for v in values):
        raise ValidationError("Allowed templates are a list of template ids (tpl_…).")


def validate_allowed_ips(values: list[str]) -> None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(f"{value!r} is not an IP address or CIDR range.") from None


def validate_allowed_domains(values: list[str]) -> None:
    for value in values:
        host = value.strip().lower()
        if not host or "/" in host or ":" in host.lstrip("*.") or " " in host:
            raise ValidationError(f"{value!r} is not a host name.")


# Limits are per account (docs/api.md): more keys must not mean more of anything.
MAX_ACTIVE_KEYS = 25


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        """Keys that authenticate: not revoked, not expired, of an active user."""
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )

    def find_active(self, raw: str) -> "ApiKey | None":
        """The active key whose full text is `raw`, or None (same answer for malformed, unknown, revoked)."""
        if keys.parse_key(raw) is None:
            return None
        # get(), not first(): the hash is unique, and first() would sort by the default ordering on every request.
        try:
            return self.active().select_related("user", "workspace").get(key_hash=keys.hash_key(raw))
        except self.model.DoesNotExist:
            return None


class ApiKey(models.Model):
    class Mode(models.TextChoices):
        LIVE = "live", "Live"
        TEST = "test", "Test (sandbox)"

    public_id = models.CharField(max_length=40, unique=True, default=new_key_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    # Keys are credentials of a workspace: deleting the workspace ends them (CASCADE); the
    # history that names a key (images, the request log) keeps its rows (SET_NULL there).
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="Default key")
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.LIVE)
    prefix = models.CharField(max_length=20, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    allowed_ips = models.JSONField(default=list, blank=True, validators=[validate_allowed_ips])
    allowed_domains = models.JSONField(default=list, blank=True, validators=[validate_allowed_domains])
    # Restrictions (docs/api.md, "Restricted keys"): empty lists mean everything.
    scopes = models.JSONField(default=list, blank=True, validators=[validate_scope_list])
    allowed_templates = models.JSONField(default=list, blank=True, validators=[validate_template_ids])
    # After this moment the key answers like a revoked one.
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        # The keys page lists one user's keys, newest first (tests/test_query_plans.py).
        indexes = [models.Index(fields=["user", "-created_at"], name="apikey_user_recent")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, *, workspace: Workspace | None = None, request=None, **settings) -> tuple["ApiKey", str]:
        """Create a key and return it with its full text, which is never stored.

        The key belongs to `workspace` (whose owner or admin the user must be), by
        default the user's personal one. `settings`: name, mode, allowed_ips,
        allowed_domains, scopes, allowed_templates, expires_at. The user is the actor of
        its `key.created` audit event, written with it (`request` gives the client IP)."""
        from accounts import audit  # audit imports this module

        with transaction.atomic():
            key, raw = cls._create(user, workspace=workspace, **settings)
            audit.record(key.workspace, user, "key.created", key.public_id, key.audit_details(), request)
        return key, raw

    @classmethod
    def _create(
        cls,
        user,
        *,
        name: str = "Default key",
        mode: str = "live",
        allowed_ips: list[str] | None = None,
        allowed_domains: list[str] | None = None,
        scopes: list[str] | None = None,
        allowed_templates: list[str] | None = None,
        expires_at=None,
        workspace: Workspace | None = None,
    ) -> tuple["ApiKey", str]:
        if workspace is None:
            workspace = personal_workspace(user)
        else:
            role = Membership.objects.filter(workspace=workspace, user=user).values_list("role", flat=True).first()
            if not roles.allows(role, "keys"):
                raise ValidationError(f"Only an owner or admin of {workspace.public_id} may create its keys.")
        allowed_ips = allowed_ips or []
        allowed_domains = [d.strip().lower() for d in allowed_domains or []]
        allowed_templates = list(dict.fromkeys(t.strip() for t in allowed_templates or []))
        validate_allowed_ips(allowed_ips)
        validate_allowed_domains(allowed_domains)
        validate_scope_list(scopes or [])
        validate_template_ids(allowed_templates)
        raw = keys.generate_key(mode)
        with transaction.atomic():
            # Locking the owner serialises key creation per account, so the cap holds under races.
            User.objects.select_for_update().filter(pk=user.pk).exists()
            if cls.objects.active().filter(user=user).count() >= MAX_ACTIVE_KEYS:
                raise ValidationError(
                    f"An account holds at most {MAX_ACTIVE_KEYS} active keys: revoke one you no longer use first."
                )
            key = cls.objects.create(
                user=user,
                workspace=workspace,
                name=name,
                mode=mode,
                prefix=keys.visible_prefix(raw),
                key_hash=keys.hash_key(raw),
                allowed_ips=allowed_ips,
                allowed_domains=allowed_domains,
                scopes=validate_scopes(scopes or []),
                allowed_templates=allowed_templates,
                expires_at=expires_at,
            )
        return key, raw

    def audit_details(self) -> dict:
        return {"name": self.name, "mode": self.mode, "prefix": self.prefix}

    def roll(self, *, grace: timedelta, actor=None, request=None) -> tuple["ApiKey", str]:
        """A new key with this one's settings; this one keeps working for `grace` (none: revoked now).

        With a grace period both count as active until it ends, so an account at the key
        cap rolls without one (ValidationError otherwise). One `key.rolled` audit event
        (by `actor`, default the key's user) names both keys."""
        from accounts import audit  # audit imports this module

        with transaction.atomic():
            if grace <= timedelta(0):
                self._revoke_now()
                new, raw = self._successor()
            else:
                new, raw = self._successor()
                ends = timezone.now() + grace
                if self.expires_at is None or self.expires_at > ends:
                    self.expires_at = ends
                    self.save(update_fields=["expires_at"])
            details = {**self.audit_details(), "new_key": new.public_id, "grace_seconds": int(grace.total_seconds())}
            audit.record(self.workspace, actor or self.user, "key.rolled", self.public_id, details, request)
        return new, raw

    def _successor(self) -> tuple["ApiKey", str]:
        # _create, not issue: the roll's own event names the new key.
        return ApiKey._create(
            self.user,
            workspace=self.workspace,
            name=self.name,
            mode=self.mode,
            allowed_ips=self.allowed_ips,
            allowed_domains=self.allowed_domains,
            scopes=self.scopes,
            allowed_templates=self.allowed_templates,
            expires_at=self.expires_at,
        )

    def allows_scope(self, scope: str) -> bool:
        return not self.scopes or scope in self.scopes

    def allows_template(self, template_id: str) -> bool:
        return not self.allowed_templates or template_id in self.allowed_templates

    def check_template(self, template_id: str) -> None:
        if not self.allows_template(template_id):
            raise TemplateNotAllowed(f"This key may not use template {template_id}.")

    @property
    def is_restricted(self) -> bool:
        """Limited to some scopes or templates (such keys never see the account's secrets)."""
        return bool(self.scopes or self.allowed_templates)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_test(self) -> bool:
        return self.mode == self.Mode.TEST

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self, *, actor=None, request=None) -> None:
        """Stop the key now; a `key.revoked` audit event by `actor` (default the key's user), once."""
        from accounts import audit  # audit imports this module

        with transaction.atomic():
            if self._revoke_now():
                audit.record(
                    self.workspace, actor or self.user, "key.revoked", self.public_id, self.audit_details(), request
                )

    def _revoke_now(self) -> bool:
        # Conditional, so two revokes at once write one event.
        if self.revoked_at is not None:
            return False
        now = timezone.now()
        if not ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now):
            return False
        self.revoked_at = now
        return True

    def touch(self) -> None:
        """Record use, writing at most once per API_KEY_LAST_USED_RESOLUTION seconds."""
        now = timezone.now()
        stale = now - timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION)
        if self.last_used_at and self.last_used_at > stale:
            return
        ApiKey.objects.filter(pk=self.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)).update(
            last_used_at=now
        )
        self.last_used_at = now


class IdempotencyRecordQuerySet(models.QuerySet):
    def prune(self, *, older_than: timedelta) -> int:
        """Delete records older than `older_than`; returns how many."""
        deleted, _ = self.filter(created_at__lt=timezone.now() - older_than).delete()
        return deleted


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for repeats (24 h at least)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Test and live keys never share a record: the same key string is two requests.
    sandbox = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    completed = models.BooleanField(default=False)
    # While the first request runs it holds the key until then; a request that died
    # lets go when the lease ends, and a retry takes the record over.
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sandbox", "key"], name="idempotency_one_record_per_mode_and_key")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.key}"
