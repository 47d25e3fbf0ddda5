import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.ids import new_public_id
from accounts.models import ApiKey


def new_template_id() -> str:
    return new_public_id("tpl")


def new_image_id() -> str:
    return new_public_id("img")


def new_font_id() -> str:
    return new_public_id("fnt")


def new_file_token() -> str:
    return secrets.token_urlsafe(24)


class DesignTemplate(models.Model):
    """A canvas of elements that images are rendered from."""

    public_id = models.CharField(max_length=40, unique=True, default=new_template_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # null means transparent, as in the API.
    background = models.CharField(  # noqa: DJ001
        max_length=9, null=True, blank=True, help_text="Colour, or empty for transparent."
    )
    elements = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    # A ~400 px wide PNG rendered in the background after each save (templates_app/thumbnails.py).
    # Its path holds a fresh random folder per render, so its public URL is unguessable.
    thumbnail = models.FileField(upload_to="thumbnails/", blank=True, max_length=200, editable=False)
    thumbnail_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    def document(self, elements: list[dict] | None = None) -> dict:
        """The plain data the renderer draws."""
        return {
            "width": self.width,
            "height": self.height,
            "background": self.background,
            "elements": self.elements if elements is None else elements,
        }


class ImageQuerySet(models.QuerySet):
    def for_key(self, api_key):
        """The images an API key may see: its owner's, of the key's mode (live or sandbox),
        and of its allowed templates when it has an allow-list."""
        images = self.filter(owner_id=api_key.user_id, sandbox=api_key.is_test)
        if api_key.allowed_templates:
            images = images.filter(template_public_id__in=api_key.allowed_templates)
        return images


class Image(models.Model):
    """One render of a template, and its file."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RENDERING = "rendering"
        COMPLETED = "completed"
        FAILED = "failed"
        # Only inside the delete transaction: the claim that stops a worker from
        # completing an image that is being deleted (docs/rendering.md, image states).
        CANCELLED = "cancelled"

    class Format(models.TextChoices):
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"
        WEBP = "webp", "WebP"
        PDF = "pdf", "PDF"

    public_id = models.CharField(max_length=40, unique=True, default=new_image_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images")
    template = models.ForeignKey(
        DesignTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    # Kept so the image still names its template after the template is deleted.
    template_public_id = models.CharField(max_length=40)
    template_version = models.PositiveIntegerField()
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.PNG)
    scale = models.FloatField(default=1)
    quality = models.PositiveSmallIntegerField(default=90)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file_size = models.PositiveIntegerField(null=True, blank=True)
    # An unguessable folder (192 random bits) makes the public URL a capability.
    file_token = models.CharField(max_length=40, unique=True, default=new_file_token, editable=False)
    file = models.FileField(upload_to="images/", blank=True, max_length=200)
    sandbox = models.BooleanField(default=False)
    credits_used = models.PositiveIntegerField(default=0)
    modifications = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    callback_url = models.URLField(max_length=2000, null=True, blank=True)  # noqa: DJ001 (null as in the API)
    source_image = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="edits")
    warnings = models.JSONField(default=list, blank=True)
    # Signed-URL renders (/i/…): a hash of template, version, format and parameters,
    # so identical hits are served from this image.
    signed_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # What an asynchronous render will draw: the template as it was when asked.
    render_document = models.JSONField(null=True, blank=True, editable=False)
    error = models.JSONField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When a render took the image (pending → rendering): the stuck sweep measures from here.
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "sandbox", "-created_at"], name="image_owner_mode_recent")]

    def __str__(self) -> str:
        return self.public_id

    @property
    def filename(self) -> str:
        return f"{self.public_id}.{self.format}"

    @property
    def storage_name(self) -> str:
        """Where the file is stored: fixed by the image, so a deleter can remove a file a worker writes late."""
        return f"{self.file.field.upload_to}{self.file_token}/{self.filename}"

    @property
    def url(self) -> str | None:
        """The absolute public URL of the file, or None until it exists."""
        if not self.file:
            return None
        path = reverse("image-file", kwargs={"token": self.file_token, "filename": self.filename})
        return settings.PUBLIC_BASE_URL + path


class UserFont(models.Model):
    """A font file an account uploaded (stored as plain TTF/OTF), usable only in its own templates."""

    public_id = models.CharField(max_length=40, unique=True, default=new_font_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fonts")
    family = models.CharField(max_length=64)
    weight = models.PositiveSmallIntegerField(default=400)
    italic = models.BooleanField(default=False)
    original_format = models.CharField(max_length=5, help_text="ttf, otf, woff or woff2 as uploaded")
    file = models.FileField(upload_to="fonts/", max_length=200)
    file_size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["family", "weight", "italic"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "family", "weight", "italic"], name="userfont_one_file_per_style")
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.weight}{' italic' if self.italic else ''} ({self.owner})"


def new_webhook_id() -> str:
    return new_public_id("whk")


def new_message_id() -> str:
    return new_public_id("msg")


class WebhookSubscriptionQuerySet(models.QuerySet):
    def for_key(self, api_key):
        """The subscriptions an API key may see: its owner's, of the key's mode."""
        return self.filter(owner_id=api_key.user_id, mode=api_key.mode)


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
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The first failed try since the last success; disabled when that is 3 days old (docs/api.md).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

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
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["owner", "endpoint", "sending_until"], name="delivery_in_flight")]

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
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"
