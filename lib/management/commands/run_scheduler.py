import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from lib import scheduler

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks every app registered (lib/scheduler.py) for the workers, checking "
        "every SCHEDULER_INTERVAL seconds (60): billing period renewals, webhook retries and the sweep of "
        "renders whose worker died each minute; log and idempotency pruning daily. `make run` starts it; "
        "in production run it as one service."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due once and exit")

    def handle(self, *args, once, **options):
        last_enqueued: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for periodic in scheduler.due(last_enqueued, now):
                try:
                    periodic.task.enqueue()
                except Exception:  # the queue is down (a broker restart): try again next tick
                    logger.exception("Could not enqueue %s", periodic.task.module_path)
                    continue
                last_enqueued[periodic.task.module_path] = now
            if once:
                return
            time.sleep(settings.SCHEDULER_INTERVAL)
