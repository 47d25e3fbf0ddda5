"""Public files by their unguessable paths: rendered images and template thumbnails."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from templates_app import rendering
from templates_app.models import DesignTemplate, Image


@require_safe
@cache_control(public=True, max_age=3600)
def image_file(request, token: str, filename: str):
    """A rendered file, public by its unguessable token; gone once the image is deleted."""
    image = get_object_or_404(Image, file_token=token, status=Image.Status.COMPLETED)
    if filename != image.filename:
        raise Http404
    return file_response(image)


def stored_file(file, content_type: str) -> FileResponse:
    """Stream a stored file (Http404 if there is none or it is gone from the storage)."""
    if not file:
        raise Http404
    try:
        handle = default_storage.open(file.name)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_response(image: Image) -> FileResponse:
    """Stream a finished image's file with its content type."""
    response = stored_file(image.file, rendering.FORMATS[image.format])
    response["Content-Disposition"] = f'inline; filename="{image.filename}"'
    return response


@require_safe
@cache_control(public=True, max_age=86400)
def public_thumbnail(request, token: str, filename: str):
    """A thumbnail by its unguessable path (the API's `preview_url`); changes with every version."""
    template = get_object_or_404(DesignTemplate, thumbnail=f"thumbnails/{token}/{filename}")
    return thumbnail_response(template)


def thumbnail_response(template: DesignTemplate) -> FileResponse:
    return stored_file(template.thumbnail, "image/png")
