import time

from django.conf import settings
from django.core.management.base import BaseCommand

from billing.tasks import prune_request_log, renew_periods

DAY = 24 * 3600


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks for the worker: period renewals every SCHEDULER_INTERVAL seconds, "
        "request-log pruning daily. `make run` starts it; production may use cron with reset_period instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue once and exit")

    def handle(self, *args, once, **options):
        last_prune = 0.0
        while True:
            renew_periods.enqueue()
            if time.monotonic() - last_prune >= DAY or last_prune == 0.0:
                prune_request_log.enqueue()
                last_prune = time.monotonic()
            if once:
                return
            time.sleep(settings.SCHEDULER_INTERVAL)
