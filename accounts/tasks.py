"""Background work of accounts, run by the task workers (Django Tasks API)."""

from datetime import timedelta

from django.tasks import task

from accounts.models import IdempotencyRecord


@task()
def prune_idempotency_records() -> int:
    """Forget Idempotency-Key answers after two days (the promise is 24 hours; scheduled daily)."""
    return IdempotencyRecord.objects.prune(older_than=timedelta(days=2))
