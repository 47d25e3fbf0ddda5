"""The public JSON shapes of an image (shared by the API and webhook payloads) and of a
template (shared by the API and the designer), docs/api.md."""

from lib.timestamps import iso_z
from templates_app import previews
from templates_app.models import DesignTemplate, Image


def image_data(image: Image) -> dict:
    return {
        "id": image.public_id,
        "status": image.status,
        "template": image.template_public_id,
        "template_version": image.template_version,
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "file_size": image.file_size,
        "url": image.url,
        "sandbox": image.sandbox,
        "credits_used": image.credits_used,
        "modifications": image.modifications,
        "metadata": image.metadata,
        "callback_url": image.callback_url,
        "source_image": image.source_image.public_id if image.source_image_id else None,
        "warnings": image.warnings,
        "error": image.error,
        "render_ms": image.render_ms,
        "created_at": iso_z(image.created_at),
        "completed_at": iso_z(image.completed_at),
    }


def template_data(template: DesignTemplate) -> dict:
    return {
        "id": template.public_id,
        "name": template.name,
        "width": template.width,
        "height": template.height,
        "background": template.background,
        "version": template.version,
        "elements": template.elements,
        "preview_url": previews.public_thumbnail_url(template),
        "created_at": iso_z(template.created_at),
        "updated_at": iso_z(template.updated_at),
    }
