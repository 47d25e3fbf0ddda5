"""The webhook deliveries' tasks, on their own "webhooks" queue (docs/api.md, "Webhooks")."""

from django.tasks import task

from webhooks import services


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> bool:
    """Try one delivery right after the event commits."""
    return services.attempt(delivery_id)


@task(queue_name="webhooks")
def dispatch_webhooks() -> int:
    """Retry due webhook deliveries (scheduled every minute)."""
    return services.dispatch_due()
