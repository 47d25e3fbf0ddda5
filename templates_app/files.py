"""Public files by their unguessable paths: rendered images and template thumbnails.

Read through the storage API, so the same paths serve files from the local disk or from
S3 (docs/deploy.md, "Files on S3").
"""

import logging

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from lib.problems import problem_response
from templates_app import rendering
from templates_app.models import DesignTemplate, Image

logger = logging.getLogger(__name__)


@require_safe
@cache_control(public=True, max_age=3600)
def image_file(request, token: str, filename: str):
    """A rendered file, public by its unguessable token; gone once the image is deleted."""
    image = get_object_or_404(Image, file_token=token, status=Image.Status.COMPLETED)
    if filename != image.filename:
        raise Http404
    try:
        return file_response(image)
    except StorageUnavailable:
        return storage_unavailable(request)


class StorageUnavailable(Exception):
    """The file store did not answer (S3 down or unreachable)."""


def stored_file(file, content_type: str) -> FileResponse:
    """Stream a stored file (Http404 if there is none or it is gone from the storage;
    StorageUnavailable if the store does not answer)."""
    if not file:
        raise Http404
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    except Exception as exc:  # botocore's connection and service errors, among others
        logger.warning("Storage read of %s failed: %s", file.name, exc)
        raise StorageUnavailable from exc
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def storage_unavailable(request):
    response = problem_response(request, 500, "internal_error", "The file store is not answering; try again shortly.")
    response["Cache-Control"] = "no-store"
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
    try:
        return thumbnail_response(template)
    except StorageUnavailable:
        return storage_unavailable(request)


def thumbnail_response(template: DesignTemplate) -> FileResponse:
    return stored_file(template.thumbnail, "image/png")
