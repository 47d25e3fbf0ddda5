import time

from django.conf import settings
from django.core.management.base import BaseCommand

from billing.tasks import prune_request_log, renew_periods
from templates_app.tasks import dispatch_webhooks, fail_stuck_renders, prune_idempotency_records

DAY = 24 * 3600


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks for the worker every SCHEDULER_INTERVAL seconds (60): billing period "
        "renewals, webhook retries, the sweep of renders whose worker died; log and idempotency pruning daily. "
        "`make run` starts it; in production run it as one service (or cron the same tasks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue once and exit")

    def handle(self, *args, once, **options):
        last_prune = None
        while True:
            for periodic in (renew_periods, dispatch_webhooks, fail_stuck_renders):
                periodic.enqueue()
            if last_prune is None or time.monotonic() - last_prune >= DAY:
                prune_request_log.enqueue()
                prune_idempotency_records.enqueue()
                last_prune = time.monotonic()
            if once:
                return
            time.sleep(settings.SCHEDULER_INTERVAL)
