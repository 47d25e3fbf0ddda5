"""Templates and renders with the database around them: look up, charge,
render, store, refund on failure. The API and the dashboard both call these."""

import time

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing import ledger
from templates_app import rendering
from templates_app.elements import apply_modifications, clean_template, drawable
from templates_app.models import DesignTemplate, Image

RENDER_COST = 1


def get_template_for(user, public_id: str) -> DesignTemplate:
    """The user's template with this id; Http404 for anything else, another account's included."""
    return get_object_or_404(DesignTemplate, owner=user, public_id=public_id)


def get_image_for(api_key, public_id: str) -> Image:
    """The image with this id if the key may see it (same owner, same live/test mode); else Http404."""
    return get_object_or_404(Image.objects.for_key(api_key), public_id=public_id)


def create_template(*, owner, data: dict) -> DesignTemplate:
    """Validate `data` (SPEC §4) and save a new template."""
    return DesignTemplate.objects.create(owner=owner, **clean_template(data))


def update_template(*, template: DesignTemplate, data: dict, partial: bool) -> DesignTemplate:
    """Replace (PUT) or update (PATCH) a template; every change bumps `version`."""
    changes = clean_template(data, partial=partial)
    for field, value in changes.items():
        setattr(template, field, value)
    template.version = F("version") + 1
    template.save()
    template.refresh_from_db()
    return template


def delete_template(*, template: DesignTemplate) -> None:
    template.delete()


def render_image(
    *,
    api_key,
    template_id: str,
    modifications=None,
    fmt: str = "png",
    scale: float = 1.0,
    quality: int = 90,
    metadata: dict | None = None,
) -> tuple[Image, int]:
    """Render a template now, charging live keys one credit; returns the image and the balance.

    Everything that can be checked is checked before the charge (InvalidInput,
    RenderError subclasses, ledger.InsufficientCredits). A render that fails after
    the charge is refunded and re-raised with the image marked failed.
    """
    user = api_key.user
    template = get_template_for(user, template_id)
    elements, normalised = apply_modifications(template.elements, modifications)
    document = template.document(drawable(elements))
    rendering.check_output_size(template.width, template.height, scale)
    rendering.check_sources(document["elements"])

    sandbox = api_key.is_test
    cost = 0 if sandbox else RENDER_COST
    with transaction.atomic():
        image = Image.objects.create(
            owner=user,
            template=template,
            template_public_id=template.public_id,
            template_version=template.version,
            api_key=api_key,
            status=Image.Status.RENDERING,
            format=fmt,
            scale=scale,
            quality=quality,
            width=max(1, round(template.width * scale)),
            height=max(1, round(template.height * scale)),
            sandbox=sandbox,
            credits_used=cost,
            modifications=normalised,
            metadata=metadata or {},
        )
        if cost:
            balance = ledger.charge_credits(user, cost=cost, reference=image.public_id, created_by=api_key.public_id)
    if not cost:
        balance = ledger.open_account(user).balance

    started = time.perf_counter()
    try:
        result = rendering.render(document, fmt=fmt, scale=scale, quality=quality, watermark=sandbox)
    except rendering.RenderError as exc:
        balance = _fail(image, exc, balance)
        raise
    except Exception as exc:  # an unexpected bug must still not keep the credit
        balance = _fail(image, rendering.RenderError("The render failed."), balance)
        raise rendering.RenderError("The render failed.") from exc

    image.file.save(f"{image.file_token}/{image.filename}", ContentFile(result.content), save=False)
    image.status = Image.Status.COMPLETED
    image.width, image.height = result.width, result.height
    image.file_size = len(result.content)
    image.warnings = result.warnings
    image.render_ms = round((time.perf_counter() - started) * 1000)
    image.completed_at = timezone.now()
    image.save(
        update_fields=["file", "status", "width", "height", "file_size", "warnings", "render_ms", "completed_at"]
    )
    return image, balance


def _fail(image: Image, exc: "rendering.RenderError", balance: int) -> int:
    """Mark the image failed and give back its credit; returns the balance."""
    image.status = Image.Status.FAILED
    image.error = {"code": exc.code, "message": exc.message}
    image.credits_used = 0
    image.completed_at = timezone.now()
    image.save(update_fields=["status", "error", "credits_used", "completed_at"])
    refunded = ledger.refund_credits(image.owner, reference=image.public_id)
    return balance if refunded is None else refunded


def delete_image(*, image: Image) -> None:
    """Delete the record and its file; the public URL stops working at once."""
    if image.file:
        image.file.delete(save=False)
    image.delete()
