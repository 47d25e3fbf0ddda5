"""Periodic tasks: each app registers its own in its AppConfig.ready(); `manage.py
run_scheduler` enqueues them for the task workers. The scheduler knows no app."""

from dataclasses import dataclass

EVERY_TICK = 0  # every SCHEDULER_INTERVAL seconds (a minute unless configured)
DAY = 24 * 3600


@dataclass(frozen=True)
class Periodic:
    task: object  # a Django Tasks task: has .enqueue()
    every: int  # seconds (EVERY_TICK: each tick); a task is enqueued at most once per tick


PERIODIC: dict[str, Periodic] = {}


def every(seconds: int, task) -> None:
    """Enqueue `task` about every `seconds` (at most once per tick of the scheduler)."""
    PERIODIC[task.module_path] = Periodic(task, seconds)


def due(last_enqueued: dict[str, float], now: float) -> list[Periodic]:
    """The registered tasks whose interval has passed since they were last enqueued (never: due)."""
    return [
        periodic
        for name, periodic in sorted(PERIODIC.items())
        if name not in last_enqueued or now - last_enqueued[name] >= periodic.every
    ]
