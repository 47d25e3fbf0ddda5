"""Background work of templates_app, run by the task worker (Django Tasks API)."""

from datetime import timedelta

from django.tasks import task

from accounts.models import IdempotencyRecord
from templates_app import services, webhooks


@task()
def render_pending_image(image_id: int) -> str:
    """Render an image accepted with "async": true."""
    return services.render_accepted_image(image_id)


@task()
def deliver_webhook(delivery_id: int) -> bool:
    return webhooks.attempt(delivery_id)


@task()
def dispatch_webhooks() -> int:
    """Retry due webhook deliveries (scheduled every minute)."""
    return webhooks.dispatch_due()


@task()
def fail_stuck_renders() -> int:
    """Fail and refund renders whose worker died (scheduled)."""
    return services.fail_stuck_renders()


@task()
def refresh_thumbnail(template_id: int) -> bool:
    """Render a template's gallery thumbnail after a save (templates_app/previews.py)."""
    from templates_app import previews

    return previews.render_thumbnail(template_id=template_id)


@task()
def prune_idempotency_records() -> int:
    """Forget Idempotency-Key answers after two days (the promise is 24 hours; scheduled daily)."""
    return IdempotencyRecord.objects.prune(older_than=timedelta(days=2))
