"""Renders that are never charged and leave no Image row: the designer's preview and
the gallery's thumbnails. Same pipeline as the API (prepare_document → prefetch →
run_render), so what the designer shows is what the API returns."""

import math
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from templates_app import render_runner, rendering, sources
from templates_app.documents import prepare_document
from templates_app.elements import clean_template
from templates_app.models import DesignTemplate

# The designer's preview is free, so it is no substitute for a render: watermarked
# like a sandbox image and at most 1200 px on its long side (the browser scales it
# back up to the canvas). That also keeps it fast.
MAX_PREVIEW_SIDE = 1200
THUMBNAIL_WIDTH = 400


def fitting_scale(width: int, height: int, max_pixels: int) -> float:
    """1, or the scale at which width×height fits in max_pixels."""
    if width * height <= max_pixels:
        return 1.0
    return math.sqrt(max_pixels / (width * height))


def _render(user, template: DesignTemplate, *, scale: float, watermark: bool = False) -> rendering.RenderResult:
    document, _modifications, _warnings = prepare_document(user=user, template=template)
    rendering.check_output_size(template.width, template.height, scale)
    document["images"] = sources.prefetch_sources(document["elements"])
    rendering.check_sources(document["elements"], document["images"])
    return render_runner.run_render(document, fmt="png", scale=scale, quality=90, watermark=watermark)


def render_preview(*, user, template: DesignTemplate, data: dict) -> rendering.RenderResult:
    """A PNG of `data` (an unsaved template body, validated like a PUT) as the API would draw it.

    Free: nothing is charged or stored. Raises InvalidInput or RenderError.
    """
    clean = clean_template(data)
    draft = DesignTemplate(owner=user, public_id=template.public_id, **clean)
    scale = min(1.0, MAX_PREVIEW_SIDE / max(draft.width, draft.height))
    return _render(user, draft, scale=scale, watermark=True)


def render_thumbnail(*, template_id: int) -> bool:
    """Render and store a template's ~400 px wide thumbnail, unless it is already current.

    Returns whether a new thumbnail was stored. Safe to run twice or out of order: a
    render of an older version never replaces a newer one.
    """
    template = DesignTemplate.objects.select_related("owner").filter(pk=template_id).first()
    if template is None or (template.thumbnail_version == template.version and template.thumbnail):
        return False
    version = template.version
    scale = min(1.0, THUMBNAIL_WIDTH / template.width)
    try:
        result = _render(template.owner, template, scale=scale)
    except rendering.RenderError:
        # A picture that cannot be fetched right now, say: the gallery keeps its placeholder.
        return False
    old_name = template.thumbnail.name if template.thumbnail else ""
    storage = template.thumbnail.storage
    name = storage.save(f"thumbnails/{secrets.token_urlsafe(24)}/{template.public_id}.png", ContentFile(result.content))
    with transaction.atomic():
        stored = DesignTemplate.objects.filter(pk=template.pk, thumbnail_version__lt=version).update(
            thumbnail=name, thumbnail_version=version
        )
    if not stored:  # a newer render got there first
        storage.delete(name)
        return False
    if old_name:
        storage.delete(old_name)
    return True


def public_thumbnail_url(template: DesignTemplate) -> str | None:
    """The absolute, unguessable URL of the current thumbnail (the API's `preview_url`), or None."""
    if not template.thumbnail:
        return None
    _folder, token, filename = template.thumbnail.name.split("/")
    return settings.PUBLIC_BASE_URL + reverse("template-thumbnail-public", args=[token, filename])
