"""The public JSON shape of an image (docs/api.md), shared by the API and webhook payloads."""

from lib.timestamps import iso_z
from templates_app.models import Image


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
