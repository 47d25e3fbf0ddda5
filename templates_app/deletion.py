"""Deleting an account removes its files through the storage API (local disk or S3),
once the deletion has committed (docs/rendering.md, "Deleting an account")."""

from django.db import transaction
from django.db.models.signals import pre_delete

from templates_app.models import DesignTemplate, Image, UserFont


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
        for storage, name in files:
            storage.delete(name)

    # Only once the rows are gone: a deletion that rolls back keeps its files.
    transaction.on_commit(delete_files)


def connect(user_model) -> None:
    pre_delete.connect(before_user_deleted, sender=user_model, dispatch_uid="templates-user-deleted")
