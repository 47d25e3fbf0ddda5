"""An account's data as one zip: its templates as the API shows them, and its images' files.

Built in a temporary file (never in memory) and read through the storage API, so files on
S3 work as local ones do; a size guard stops an export that would grow past
ACCOUNT_EXPORT_MAX_BYTES.
"""

import json
import tempfile
import zipfile
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage

from templates_app.models import DesignTemplate, Image
from templates_app.representations import template_data

DEFAULT_MAX_BYTES = 2 * 1024**3


class ExportTooLarge(Exception):
    """The account's files add up to more than an export may hold."""


class ExportStorageUnavailable(Exception):
    """The file store did not answer (S3 down or unreachable)."""


def build_account_export(user) -> IO[bytes]:
    """A zip of `user`'s own templates (templates.json) and completed images (images/<id>.<format>), rewound.

    Raises ExportTooLarge past ACCOUNT_EXPORT_MAX_BYTES of image files."""
    limit = getattr(settings, "ACCOUNT_EXPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (returned open, closed by the response)
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            templates = [template_data(t) for t in DesignTemplate.objects.filter(owner=user).order_by("created_at")]
            archive.writestr("templates.json", json.dumps({"templates": templates}, indent=2))
            images = Image.objects.filter(owner=user, status=Image.Status.COMPLETED).exclude(file="")
            written = 0
            for image in images.order_by("created_at").iterator():
                try:
                    source = default_storage.open(image.file.name, "rb")
                except FileNotFoundError:  # gone from the store: nothing to export
                    continue
                except Exception as exc:  # botocore's connection and service errors, among others
                    raise ExportStorageUnavailable from exc
                # Images are compressed already: store them as they are.
                entry = zipfile.ZipInfo(f"images/{image.filename}", date_time=image.created_at.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_STORED
                with source, archive.open(entry, "w") as target:
                    while chunk := _read(source):
                        written += len(chunk)
                        if written > limit:
                            raise ExportTooLarge
                        target.write(chunk)
        out.seek(0)
        return out
    except BaseException:
        out.close()
        raise


def _read(source) -> bytes:
    try:
        return source.read(1024 * 1024)
    except Exception as exc:  # the store stopped answering mid-file
        raise ExportStorageUnavailable from exc
