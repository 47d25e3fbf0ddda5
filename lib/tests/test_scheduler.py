"""The scheduler enqueues what every app registered, each at its own interval."""

from django.core.management import call_command
from django.tasks import task_backends

from lib import scheduler


def test_every_app_registers_its_periodic_tasks():
    registered = {name: periodic.every for name, periodic in scheduler.PERIODIC.items()}
    assert registered == {
        "billing.tasks.renew_periods": scheduler.EVERY_TICK,
        "billing.tasks.prune_request_log": scheduler.DAY,
        "webhooks.tasks.dispatch_webhooks": scheduler.EVERY_TICK,
        "templates_app.tasks.fail_stuck_renders": scheduler.EVERY_TICK,
        "accounts.tasks.prune_idempotency_records": scheduler.DAY,
    }


def test_a_task_is_due_when_never_enqueued_or_its_interval_has_passed():
    names = {p.task.module_path for p in scheduler.due({}, now=1000.0)}
    assert names == set(scheduler.PERIODIC)
    just_now = {name: 1000.0 for name in scheduler.PERIODIC}
    next_tick = {p.task.module_path for p in scheduler.due(just_now, now=1001.0)}
    assert next_tick == {name for name, p in scheduler.PERIODIC.items() if p.every == scheduler.EVERY_TICK}
    a_day_later = {p.task.module_path for p in scheduler.due(just_now, now=1000.0 + scheduler.DAY)}
    assert a_day_later == set(scheduler.PERIODIC)


def test_run_scheduler_once_enqueues_everything_registered(settings):
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    backend.clear()
    call_command("run_scheduler", once=True)
    assert sorted(result.task.module_path for result in backend.results) == sorted(scheduler.PERIODIC)
