"""Background work of templates_app, run by the task workers (Django Tasks API).

Three queues, one worker each under `make run` (docs/api.md, webhooks): "renders"
(asynchronous renders), "webhooks" (deliveries and their retries) and "default"
(thumbnails, sweeps, pruning), so an endpoint that never answers holds only the
webhook worker and a burst of thumbnails never delays a paid render.
"""

from datetime import timedelta

from django.tasks import task

from accounts.models import IdempotencyRecord
from templates_app import services, webhooks


@task(queue_name="renders")
def render_pending_image(image_id: int) -> str:
    """Render an image accepted with "async": true."""
    return services.render_accepted_image(image_id)


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> bool:
    """Try one delivery right after the event commits."""
    return webhooks.attempt(delivery_id)


@task(queue_name="webhooks")
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
