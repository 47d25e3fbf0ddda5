"""What an operator asks the service (docs/deploy.md, "Health and metrics").

`/healthz`: is this process serving? `/readyz`: does every part it needs answer
(database, cache, file storage, task queue — the Celery broker under Celery)?
`/metrics`: Prometheus figures, read from the database (and the queue depths from
the broker) at scrape time so every web process reports the same numbers, behind
METRICS_TOKEN.
"""

import hmac
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from billing.models import LedgerEntry
from lib.problems import problem_response
from templates_app.models import Image
from webhooks.models import WebhookDelivery

# Render durations, in seconds: the reference card renders in tens of milliseconds.
DURATION_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PROBE = "health/readyz-probe.txt"
logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    checks = {
        "database": _check(_database),
        "cache": _check(_cache),
        "storage": _check(_storage),
        "tasks": _check(_tasks),
    }
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _check(probe) -> dict:
    try:
        return {"ok": True, **probe()}
    except Exception as exc:  # any failure of a part is "not ready", never a 500
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict:
    token = secrets.token_hex(8)
    cache.set("readyz-probe", token, timeout=10)
    if cache.get("readyz-probe") != token:
        raise RuntimeError("the cache did not keep a value")
    backend = settings.CACHES["default"]["BACKEND"].lower()
    return {"backend": "redis" if "redis" in backend else "locmem" if "locmem" in backend else backend}


def _storage() -> dict:
    name = default_storage.save(PROBE, ContentFile(b"ok"))
    default_storage.delete(name)
    backend = settings.STORAGES["default"]["BACKEND"].lower()
    return {"backend": "s3" if "s3" in backend else "filesystem"}


def task_backend_name() -> str:
    backend = settings.TASKS["default"]["BACKEND"].lower()
    return "celery" if "celery" in backend else "database" if "django_tasks_db" in backend else backend


def queued_tasks() -> dict[str, int]:
    """Tasks waiting for a worker, per queue: the database backend's table, or the messages
    in the Celery broker (which raises BrokerUnreachable when it does not answer)."""
    backend = task_backend_name()
    if backend == "celery":
        from imagior.celery import waiting_messages

        return waiting_messages(settings.TASKS["default"]["QUEUES"])
    if backend != "database":
        return {}
    from django_tasks_db.models import DBTaskResult  # only with that backend installed

    waiting = DBTaskResult.objects.filter(status="READY").values("queue_name").annotate(n=Count("id"))
    return {row["queue_name"]: row["n"] for row in waiting}


def _tasks() -> dict:
    # Under Celery, counting the queues is the broker's ping: it fails when the broker does.
    waiting = queued_tasks()
    return {"backend": task_backend_name(), "queued": sum(waiting.values()), "queues": waiting}


# --- /metrics ---------------------------------------------------------------------------


@never_cache
@require_safe
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        return problem_response(request, 404, "not_found", "No such page.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return problem_response(
            request,
            401,
            "authentication_required",
            "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type="text/plain; version=0.0.4; charset=utf-8")


class DatabaseCollector:
    """The figures, counted in the database (queue depths: in the broker under Celery) when Prometheus scrapes."""

    def collect(self):
        yield self._durations()
        renders = CounterMetricFamily("imagior_renders", "Images by status and mode.", labels=["status", "mode"])
        for row in Image.objects.values("status", "sandbox").annotate(n=Count("id")).order_by():
            renders.add_metric([row["status"], "test" if row["sandbox"] else "live"], row["n"])
        yield renders
        depth = GaugeMetricFamily("imagior_queue_depth", "Tasks waiting for a worker.", labels=["queue"])
        try:
            waiting = queued_tasks()
        except ConnectionError:  # the broker is down: no depth rather than no metrics (/readyz says why)
            logger.warning("imagior_queue_depth left out: the task broker does not answer", exc_info=True)
        else:
            for queue in sorted({*settings.TASKS["default"].get("QUEUES", []), *waiting}):
                depth.add_metric([queue], waiting.get(queue, 0))
        yield depth
        deliveries = CounterMetricFamily(
            "imagior_webhook_deliveries", "Webhook deliveries by outcome.", labels=["outcome"]
        )
        for row in WebhookDelivery.objects.values("status").annotate(n=Count("id")).order_by():
            deliveries.add_metric([row["status"]], row["n"])
        yield deliveries
        spent = LedgerEntry.objects.filter(kind__in=[LedgerEntry.Kind.RENDER, LedgerEntry.Kind.REFUND]).aggregate(
            total=Sum("amount")
        )["total"]
        yield CounterMetricFamily(
            "imagior_credits_spent", "Credits spent on renders, refunds deducted.", value=-(spent or 0)
        )

    @staticmethod
    def _durations():
        family = HistogramMetricFamily(
            "imagior_render_duration_seconds", "How long finished renders took, by format.", labels=["format"]
        )
        bounds = {
            f"le_{n}": Count("id", filter=Q(render_ms__lte=bound * 1000)) for n, bound in enumerate(DURATION_BUCKETS)
        }
        rows = (
            Image.objects.filter(status=Image.Status.COMPLETED, render_ms__isnull=False)
            .values("format")
            .annotate(total=Count("id"), ms=Sum("render_ms"), **bounds)
            .order_by("format")
        )
        for row in rows:
            buckets = [(str(bound), row[f"le_{n}"]) for n, bound in enumerate(DURATION_BUCKETS)]
            buckets.append(("+Inf", row["total"]))
            family.add_metric([row["format"]], buckets, sum_value=(row["ms"] or 0) / 1000)
        return family
