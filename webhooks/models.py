"""Webhook subscriptions, the deliveries on their way and every attempt (docs/api.md, "Webhooks").

The tables keep their old names (they were created by templates_app's migrations).
"""

from http import HTTPStatus

from django.conf import settings
from django.db import models

from accounts.ids import new_public_id
from accounts.models import ApiKey

# What a failed try's `error` (lib/fetch.py's reason, kept raw for the logs) means, in words:
# the first entry whose clue appears in it wins.
FAILURE_WORDS = [
    (("DNS resolution timed out",), "Looking up the host name timed out."),
    (
        ("DNS resolution failed", "Name or service not known", "Errno -2", "Errno -3", "Errno -5"),
        "The host name could not be found (DNS): check the URL's spelling.",
    ),
    (
        ("resolves to refused address", "no usable address"),
        "The host name leads to a private or reserved address, which webhooks may not reach.",
    ),
    (
        ("Connection refused", "ConnectionRefusedError"),
        "Connection refused: nothing accepted connections at that address and port.",
    ),
    (("SSL", "CERTIFICATE", "TLS"), "The TLS (HTTPS) handshake failed: check the endpoint's certificate."),
    (("timed out", "deadline", "TimeoutError"), "No answer within 10 seconds (timed out)."),
    (
        ("Connection reset", "ConnectionResetError", "RemoteDisconnected", "BrokenPipe"),
        "The endpoint closed the connection before answering.",
    ),
    (("Network is unreachable", "No route to host"), "The endpoint's network could not be reached."),
]


def describe_failure(status_code: int | None, error: str) -> str:
    """A failed try in words for the dashboard and e-mails: the HTTP status with its name, or what a
    network error means ("[Errno -2] …" becomes "The host name could not be found")."""
    if status_code is not None:
        try:
            phrase = f"HTTP {status_code} {HTTPStatus(status_code).phrase}"
        except ValueError:
            phrase = f"HTTP {status_code}"
        if 300 <= status_code < 400:
            return f"{phrase}: redirects are not followed, give the final URL."
        return f"{phrase}."
    for clues, words in FAILURE_WORDS:
        if any(clue.lower() in error.lower() for clue in clues):
            return words
    return "The delivery could not be sent." if error else "No answer."


def new_webhook_id() -> str:
    return new_public_id("whk")


def new_message_id() -> str:
    return new_public_id("msg")


class WebhookSubscriptionQuerySet(models.QuerySet):
    def for_key(self, api_key):
        """The subscriptions an API key may see: its owner's, of the key's mode."""
        return self.filter(owner_id=api_key.user_id, mode=api_key.mode)

    def hearing(self, event_type: str, template: str | None) -> list["WebhookSubscription"]:
        """The enabled subscriptions here that hear `event_type` about an image of `template`
        (None: an account-wide event, heard only by subscriptions not limited to templates)."""
        return [
            sub
            for sub in self.filter(disabled_at__isnull=True)
            if event_type in sub.events and (not sub.templates or template in sub.templates)
        ]


class WebhookSubscription(models.Model):
    """A URL that receives an account's events (the REST-hook pattern of Zapier, Make and n8n).

    It has the mode of the key that made it and hears only events of that mode
    (docs/api.md, webhooks)."""

    class Event(models.TextChoices):
        IMAGE_COMPLETED = "image.completed"
        IMAGE_FAILED = "image.failed"
        CREDITS_LOW = "credits.low"

    Mode = ApiKey.Mode  # a subscription's mode is its creating key's

    public_id = models.CharField(max_length=40, unique=True, default=new_webhook_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.LIVE)
    # A subscription made by a key limited to some templates hears only their images' events
    # (and no account-wide event): it may not learn more than its key (docs/api.md).
    templates = models.JSONField(default=list, blank=True, editable=False)
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The first failed try since the last success; disabled when that is 3 days old (docs/api.md).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        db_table = "templates_app_webhooksubscription"
        ordering = ["-created_at", "-id"]
        # The API lists one mode of these (at most 25 a mode): filtered from the owner's, in order.
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="webhook_owner_recent")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"

    @property
    def sandbox(self) -> bool:
        return self.mode == self.Mode.TEST


class WebhookDelivery(models.Model):
    """One event on its way to one URL: the outbox row, retried until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        # Never sent: its subscription was deleted or disabled first.
        CANCELLED = "cancelled"

    message_id = models.CharField(max_length=40, unique=True, default=new_message_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Empty for callback_url deliveries, and for a subscription's deliveries once it is deleted.
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    # A render's callback_url: the only deliveries signed with the account's callback secret.
    to_callback_url = models.BooleanField(default=False)
    url = models.URLField(max_length=2000)
    # The URL's host and port: deliveries of one account to one endpoint are capped in flight.
    endpoint = models.CharField(max_length=270, blank=True)
    event_type = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact JSON that is signed and sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends it (a lease, so a dead worker's claim runs out).
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "templates_app_webhookdelivery"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["owner", "endpoint", "sending_until"], name="delivery_in_flight"),
            # The dashboard's delivery log (tests/test_query_plans.py).
            models.Index(fields=["owner", "-created_at", "-id"], name="delivery_owner_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.url} ({self.status})"


class WebhookAttempt(models.Model):
    """One try of a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=255, blank=True)
    response_body = models.CharField(max_length=1024, blank=True)

    class Meta:
        db_table = "templates_app_webhookattempt"
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"

    @property
    def outcome(self) -> str:
        """What came back, in words (`error` keeps the raw reason for admins)."""
        if self.status_code is not None and 200 <= self.status_code < 300:
            return f"HTTP {self.status_code}"
        return describe_failure(self.status_code, self.error)
