"""Background work of templates_app, run by the task workers (Django Tasks API).

Three queues, one worker each under `make run` (docs/api.md, webhooks): "renders"
(asynchronous renders), "webhooks" (deliveries and their retries) and "default"
(thumbnails, sweeps, pruning), so an endpoint that never answers holds only the
webhook worker and a burst of thumbnails never delays a paid render.
"""

from django.tasks import task

from templates_app import previews, services


@task(queue_name="renders")
def render_pending_image(image_id: int) -> str:
    """Render an image accepted with "async": true."""
    return services.render_accepted_image(image_id)


@task()
def fail_stuck_renders() -> int:
    """Fail and refund renders whose worker died (scheduled)."""
    return services.fail_stuck_renders()


@task()
def refresh_thumbnail(template_id: int) -> bool:
    """Render a template's gallery thumbnail after a save (templates_app/previews.py)."""
    return previews.render_thumbnail(template_id=template_id)
