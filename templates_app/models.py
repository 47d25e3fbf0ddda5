import secrets
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.ids import new_public_id


def new_template_id() -> str:
    return new_public_id("tpl")


def new_image_id() -> str:
    return new_public_id("img")


def new_font_id() -> str:
    return new_public_id("fnt")


def new_file_token() -> str:
    return secrets.token_urlsafe(24)


def is_local(storage) -> bool:
    """Whether a storage keeps files on this machine's disk (S3 and the like have no paths)."""
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


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
    # A ~400 px wide PNG rendered in the background after each save (templates_app/previews.py).
    # Its path holds a fresh random folder per render, so its public URL is unguessable.
    thumbnail = models.FileField(upload_to="thumbnails/", blank=True, max_length=200, editable=False)
    thumbnail_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        # Every list of templates is one owner's, in this order (tests/test_query_plans.py).
        indexes = [models.Index(fields=["owner", "-updated_at", "-id"], name="template_owner_recent")]

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

    def for_grid(self):
        """What a thumbnail grid shows (dashboard/templates/dashboard/partials/image_grid.html):
        the template's name, without the JSON documents of the image and its template, which
        can weigh hundreds of kilobytes each (embedded pictures) and were read per row."""
        return self.select_related("template").defer(
            "modifications", "metadata", "render_document", "warnings", "error", "template__elements"
        )


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
        # One per list and filter, each ending in the list's order so a page reads its rows
        # in order and stops (tests/test_query_plans.py): the API lists one mode (sandbox),
        # the dashboard both unless its mode filter is set; both filter by template and status.
        # The date filters are ranges of created_at in the first two.
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="image_owner_recent"),
            models.Index(fields=["owner", "sandbox", "-created_at", "-id"], name="image_owner_sandbox_recent"),
            models.Index(
                fields=["owner", "sandbox", "template_public_id", "-created_at", "-id"],
                name="image_owner_sandbox_template",
            ),
            models.Index(
                fields=["owner", "sandbox", "status", "-created_at", "-id"], name="image_owner_sandbox_status"
            ),
            models.Index(fields=["owner", "template_public_id", "-created_at", "-id"], name="image_owner_template"),
            models.Index(fields=["owner", "status", "-created_at", "-id"], name="image_owner_status"),
        ]

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
        """The absolute public URL of the file, or None until it exists (docs/deploy.md, "Files on S3").

        MEDIA_PUBLIC_BASE_URL/<name> when set (a CDN or a public bucket); a short-lived
        presigned URL from a remote store; else this server's own /files/… path.
        """
        if not self.file:
            return None
        if settings.MEDIA_PUBLIC_BASE_URL:
            return f"{settings.MEDIA_PUBLIC_BASE_URL}/{quote(self.file.name)}"
        if not is_local(self.file.storage):
            return self.file.storage.url(self.file.name)
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
