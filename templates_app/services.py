"""Templates and renders with the database around them: look up, charge,
render, store, refund on failure. The API and the dashboard both call these."""

import contextlib
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing import ledger
from templates_app import fetch, render_runner, rendering, representations, webhooks
from templates_app.elements import InvalidInput, apply_modifications, clean_template, drawable, merge_modifications
from templates_app.models import DesignTemplate, Image, UserFont

RENDER_COST = 1


def get_template_for(user, public_id: str) -> DesignTemplate:
    """The user's template with this id; Http404 for anything else, another account's included."""
    return get_object_or_404(DesignTemplate, owner=user, public_id=public_id)


def get_image_for(api_key, public_id: str) -> Image:
    """The image with this id if the key may see it (same owner, same live/test mode); else Http404."""
    return get_object_or_404(Image.objects.for_key(api_key), public_id=public_id)


def create_template(*, owner, data: dict) -> DesignTemplate:
    """Validate `data` (SPEC §4) and save a new template (its thumbnail follows in the background)."""
    template = DesignTemplate.objects.create(owner=owner, **clean_template(data))
    _refresh_thumbnail_later(template)
    return template


def update_template(*, template: DesignTemplate, data: dict, partial: bool) -> DesignTemplate:
    """Replace (PUT) or update (PATCH) a template; every change bumps `version`."""
    changes = clean_template(data, partial=partial)
    for field, value in changes.items():
        setattr(template, field, value)
    template.version = F("version") + 1
    # Only these fields: the thumbnail task may be writing the others concurrently.
    template.save(update_fields=[*changes, "version", "updated_at"])
    template.refresh_from_db()
    _refresh_thumbnail_later(template)
    return template


def _refresh_thumbnail_later(template: DesignTemplate) -> None:
    from templates_app import previews  # previews imports this module

    previews.refresh_thumbnail_later(template)


def delete_template(*, template: DesignTemplate) -> None:
    if template.thumbnail:
        template.thumbnail.delete(save=False)
    template.delete()


def prepare_document(*, user, template: DesignTemplate, modifications=None) -> tuple[dict, list[dict], list[dict]]:
    """The renderer's input for `template` with `modifications` applied: the document,
    the normalised modifications and warnings found on the way (unknown fonts)."""
    elements, normalised = apply_modifications(template.elements, modifications)
    shown = drawable(elements)
    document = template.document(shown)
    fonts, warnings = _fonts_for(user, shown)
    if fonts:
        document["fonts"] = fonts
    return document, normalised, warnings


def _fonts_for(user, elements: list[dict]) -> tuple[list[dict], list[dict]]:
    """The account fonts these text elements name, and a warning for each family nobody has."""
    shipped = {name.casefold() for name in rendering.fonts.family_names()}
    wanted = {el["font_family"].casefold() for el in elements if el["type"] == "text"} - shipped
    if not wanted:
        return [], []
    fonts = [font for font in account_fonts(user) if font["family"].casefold() in wanted]
    found = {font["family"].casefold() for font in fonts}
    warnings = [
        {
            "code": "font_not_found",
            "element": el["name"],
            "message": f"No font named {el['font_family']!r} in the catalogue or this account; drawn with Inter.",
        }
        for el in elements
        if el["type"] == "text" and el["font_family"].casefold() in wanted - found
    ]
    return fonts, warnings


def render_image(
    *,
    owner,
    template_id: str,
    api_key=None,
    sandbox: bool = False,
    modifications=None,
    fmt: str = "png",
    scale: float = 1.0,
    quality: int = 90,
    metadata: dict | None = None,
    run_async: bool = False,
    callback_url: str | None = None,
    source_image: Image | None = None,
    signed_key: str | None = None,
    charged_by: str = "dashboard",
) -> tuple[Image, int]:
    """Render a template, charging live renders one credit; returns the image and the balance.

    Everything that can be checked is checked before the charge (InvalidInput,
    RenderError subclasses, ledger.InsufficientCredits). A render that fails after
    the charge is refunded; synchronously the error is raised with the image
    marked failed. With `run_async` the image is returned pending and the worker
    renders it (remote pictures are then fetched by the worker).
    """
    if api_key is not None:
        sandbox = api_key.is_test
    if not sandbox:
        owner.require_verified_email()  # EmailNotVerified: a live render waits for it (SPEC §10)
    template = get_template_for(owner, template_id)
    document, normalised, notes = prepare_document(user=owner, template=template, modifications=modifications)
    rendering.check_output_size(template.width, template.height, scale)
    if run_async:
        rendering.check_sources([el for el in document["elements"] if not _is_remote_image(el)])
    else:
        # Remote pictures are fetched (SSRF-safe, cached) and checked before any charge.
        document["images"] = fetch.prefetch_sources(document["elements"])
        rendering.check_sources(document["elements"], document["images"])

    cost = 0 if sandbox else RENDER_COST
    with transaction.atomic():
        image = Image.objects.create(
            owner=owner,
            template=template,
            template_public_id=template.public_id,
            template_version=template.version,
            api_key=api_key,
            status=Image.Status.PENDING if run_async else Image.Status.RENDERING,
            format=fmt,
            scale=scale,
            quality=quality,
            width=max(1, round(template.width * scale)),
            height=max(1, round(template.height * scale)),
            sandbox=sandbox,
            credits_used=cost,
            modifications=normalised,
            metadata=metadata or {},
            callback_url=callback_url,
            source_image=source_image,
            warnings=notes,
            render_document=document if run_async else None,
            signed_key=signed_key,
        )
        if cost:
            created_by = api_key.public_id if api_key else charged_by
            balance = ledger.charge_credits(owner, cost=cost, reference=image.public_id, created_by=created_by)
        else:
            balance = ledger.open_account(owner).balance
        if run_async:
            from templates_app.tasks import render_pending_image  # tasks import this module

            transaction.on_commit(lambda: render_pending_image.enqueue(image_id=image.pk))
            return image, balance
    return _draw(image, document), balance


def _is_remote_image(element: dict) -> bool:
    return element["type"] == "image" and element.get("src", "").lower().startswith(("http://", "https://"))


def _draw(image: Image, document: dict) -> Image:
    """Render `document` into `image`, storing the file; on failure refund, report and raise."""
    started = time.perf_counter()
    try:
        if "images" not in document:
            document = {**document, "images": fetch.prefetch_sources(document["elements"])}
        result = render_runner.run_render(
            document, fmt=image.format, scale=image.scale, quality=image.quality, watermark=image.sandbox
        )
    except rendering.RenderError as exc:
        _fail(image, exc)
        raise
    except Exception as exc:  # an unexpected bug must still not keep the credit
        error = rendering.RenderError("The render failed.")
        _fail(image, error)
        raise error from exc

    image.file.save(f"{image.file_token}/{image.filename}", ContentFile(result.content), save=False)
    image.status = Image.Status.COMPLETED
    image.width, image.height = result.width, result.height
    image.file_size = len(result.content)
    image.warnings = image.warnings + result.warnings
    image.render_ms = round((time.perf_counter() - started) * 1000)
    image.completed_at = timezone.now()
    image.render_document = None
    fields = ["file", "status", "width", "height", "file_size", "warnings", "render_ms", "completed_at"]
    with transaction.atomic():
        image.save(update_fields=[*fields, "render_document"])
        webhooks.emit(
            image.owner, "image.completed", representations.image_data(image), callback_url=image.callback_url
        )
    return image


def _fail(image: Image, exc: "rendering.RenderError") -> None:
    """Mark the image failed, give back its credit and tell the subscribers."""
    with transaction.atomic():
        image.status = Image.Status.FAILED
        image.error = {"code": exc.code, "message": exc.message}
        image.credits_used = 0
        image.completed_at = timezone.now()
        image.render_document = None
        image.save(update_fields=["status", "error", "credits_used", "completed_at", "render_document"])
        ledger.refund_credits(image.owner, reference=image.public_id)
        webhooks.emit(image.owner, "image.failed", representations.image_data(image), callback_url=image.callback_url)


def render_accepted_image(image_id: int) -> str:
    """The worker's half of an asynchronous render; returns the image's final status."""
    claimed = Image.objects.filter(pk=image_id, status=Image.Status.PENDING).update(status=Image.Status.RENDERING)
    if not claimed:  # done already, or swept
        return Image.objects.filter(pk=image_id).values_list("status", flat=True).first() or "missing"
    image = Image.objects.select_related("owner", "source_image").get(pk=image_id)
    with contextlib.suppress(rendering.RenderError):  # recorded, refunded and reported by _draw
        _draw(image, image.render_document)
    return image.status


# A render still pending or rendering after this long lost its worker.
STUCK_AFTER = timedelta(minutes=15)


def fail_stuck_renders(*, now=None) -> int:
    """Fail and refund renders that never finished (their worker died); returns how many."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    stuck = Image.objects.filter(status__in=[Image.Status.PENDING, Image.Status.RENDERING], created_at__lt=cutoff)
    failed = 0
    for image in stuck.select_related("owner", "source_image"):
        if Image.objects.filter(pk=image.pk, status=image.status).update(status=Image.Status.FAILED):
            _fail(image, rendering.RenderError("The render did not finish; its credit was refunded."))
            failed += 1
    return failed


def edit_image(
    *,
    api_key,
    image_id: str,
    modifications=None,
    fmt: str | None = None,
    scale: float | None = None,
    quality: int | None = None,
    run_async: bool = False,
    callback_url: str | None = None,
) -> tuple[Image, int]:
    """A new image from the original's template with `modifications` merged over the
    original's, in the original's format, scale and quality unless given; costs like a render."""
    original = get_image_for(api_key, image_id)
    if original.template_id is None:
        raise Http404("The original image's template was deleted.")
    return render_image(
        owner=api_key.user,
        api_key=api_key,
        template_id=original.template_public_id,
        modifications=merge_modifications(original.modifications, modifications),
        fmt=fmt or original.format,
        scale=scale or original.scale,
        quality=quality or original.quality,
        metadata=original.metadata,
        run_async=run_async,
        callback_url=callback_url,
        source_image=original,
    )


def delete_image(*, image: Image) -> None:
    """Delete the record and its file; the public URL stops working at once."""
    if image.file:
        image.file.delete(save=False)
    image.delete()


# --- Fonts ----------------------------------------------------------------------

MAX_FONTS_PER_ACCOUNT = 100


def upload_font(*, owner, data: bytes, family: str = "", weight: int | None = None, italic: bool | None = None):
    """Validate a font file (TTF/OTF/WOFF/WOFF2) and store it as plain sfnt for this account.

    The family, weight and style come from the font itself unless given. Uploading
    the same family, weight and style again replaces the earlier file.
    """
    try:
        info = rendering.inspect_font(data)
    except rendering.RenderError as exc:
        raise InvalidInput([{"field": "file", "code": "invalid_font", "message": exc.message}]) from None
    family = " ".join((family or info["family"]).split())
    weight = info["weight"] if weight is None else weight
    italic = info["italic"] if italic is None else italic
    errors = []
    if not family or len(family) > 64:
        errors.append({"field": "family", "code": "invalid", "message": "Must be 1–64 characters."})
    if not 100 <= weight <= 900:
        errors.append({"field": "weight", "code": "invalid", "message": "Must be between 100 and 900."})
    if errors:
        raise InvalidInput(errors)

    sfnt = info["ttf"]
    extension = "otf" if sfnt[:4] == b"OTTO" else "ttf"
    with transaction.atomic():
        font = UserFont.objects.filter(owner=owner, family__iexact=family, weight=weight, italic=italic).first()
        if font is None:
            if UserFont.objects.filter(owner=owner).count() >= MAX_FONTS_PER_ACCOUNT:
                message = f"An account may hold at most {MAX_FONTS_PER_ACCOUNT} fonts."
                raise InvalidInput([{"field": "file", "code": "too_many_fonts", "message": message}])
            font = UserFont(owner=owner, family=family, weight=weight, italic=italic)
        elif font.file:
            font.file.delete(save=False)
        font.original_format = info["format"]
        font.file_size = len(sfnt)
        font.file.save(f"{font.public_id}.{extension}", ContentFile(sfnt), save=False)
        font.save()
    return font


def account_fonts(owner) -> list[dict]:
    """The account's fonts as the renderer takes them: family, weight, italic and a local path."""
    return [
        {"family": font.family, "weight": font.weight, "italic": font.italic, "path": local_path(font.file)}
        for font in UserFont.objects.filter(owner=owner)
    ]


def local_path(file) -> str:
    """A path on this machine for a stored file (copied to a local cache when storage is remote)."""
    try:
        return file.path
    except NotImplementedError:
        cached = Path(settings.MEDIA_CACHE_DIR) / file.name
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            with file.open("rb") as source:
                cached.write_bytes(source.read())
        return str(cached)


def delete_font(*, font: UserFont) -> None:
    font.file.delete(save=False)
    font.delete()


def get_font_for(user, public_id: str) -> UserFont:
    return get_object_or_404(UserFont, owner=user, public_id=public_id)


# --- Usage ----------------------------------------------------------------------


def usage_by_template(user, *, since) -> list[dict]:
    """Images and credits per template since `since`, busiest first (deleted templates keep their id)."""
    from django.db.models import Count, Q, Sum

    rows = (
        Image.objects.filter(owner=user, created_at__gte=since)
        .values("template_public_id", "template__name")
        .annotate(
            images=Count("id"),
            sandbox_images=Count("id", filter=Q(sandbox=True)),
            failed=Count("id", filter=Q(status=Image.Status.FAILED)),
            credits_used=Sum("credits_used"),
        )
        .order_by("-images", "template_public_id")
    )
    return [
        {
            "template": row["template_public_id"],
            "name": row["template__name"] or "(deleted template)",
            "images": row["images"],
            "sandbox_images": row["sandbox_images"],
            "failed": row["failed"],
            "credits_used": row["credits_used"] or 0,
        }
        for row in rows
    ]
