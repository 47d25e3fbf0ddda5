"""Deleting an account removes its files through the storage API (local disk or S3),
once the deletion has committed (docs/rendering.md, "Deleting an account")."""

import logging

from django.db import transaction
from django.db.models.signals import pre_delete

from templates_app.models import DesignTemplate, Image, UserFont

logger = logging.getLogger(__name__)


def stored_files_of(user) -> list[tuple[object, str]]:
    """(storage, name) of every file the account owns: images, thumbnails, fonts."""
    files = []
    for model, field in ((Image, "file"), (DesignTemplate, "thumbnail"), (UserFont, "file")):
        storage = model._meta.get_field(field).storage
        names = model.objects.filter(owner=user).exclude(**{field: ""}).values_list(field, flat=True)
        files += [(storage, name) for name in names if name]
    return files


def before_user_deleted(sender, instance, **kwargs) -> None:
    files = stored_files_of(instance)

    def delete_files() -> None:
        # One file the store refuses (S3 down) neither keeps the others nor fails a deletion
        # that has already happened: what is left is logged for an operator.
        for storage, name in files:
            try:
                storage.delete(name)
            except Exception as exc:
                logger.error("Left behind after deleting an account: %s (%s)", name, exc)

    # Only once the rows are gone: a deletion that rolls back keeps its files.
    transaction.on_commit(delete_files)


def connect(user_model) -> None:
    pre_delete.connect(before_user_deleted, sender=user_model, dispatch_uid="templates-user-deleted")
