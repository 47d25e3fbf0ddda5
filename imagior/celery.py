"""Celery behind the Django Tasks API (docs/deploy.md, "Background tasks on Celery").

With TASK_BACKEND=celery, `some_task.enqueue(...)` sends one generic Celery task,
`imagior.run_task`, carrying the Django task's module path, its arguments and its
queue name; a Celery worker imports the task and calls it. Queues map one to one
to Celery queues of the same name (`renders`, `webhooks`, `default`), so

    .venv/bin/celery -A imagior worker -Q renders,webhooks,default

serves them all (or one worker per queue). Messages are acknowledged after the
task ran (late acknowledgement, prefetch 1): a worker killed mid-task leaves its
message to another worker. The tasks are safe to run twice (an image is claimed
once and charged once; a webhook delivery is claimed before it is sent).

We wrote this small backend instead of using `django-tasks-celery` (0.1.x, alpha
at the time of writing), which sends Django's `default` queue to Celery's
`celery` queue.
"""

import os

from celery import Celery
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagior.settings")

app = Celery("imagior")
# Every CELERY_* Django setting (imagior/settings.py) configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")

RUN_TASK = "imagior.run_task"
# /readyz and /metrics ask the broker with this timeout (seconds): they answer while it is down.
PROBE_TIMEOUT = 2


class BrokerUnreachable(ConnectionError):
    pass


@app.task(name=RUN_TASK)
def run_task(module_path: str, args: list, kwargs: dict):
    """Run one Django task in this worker (the function, not its backend's enqueue)."""
    task = import_string(module_path)
    return task.call(*args, **kwargs)


class CeleryBackend(BaseTaskBackend):
    """A Django Tasks backend that hands each enqueued task to Celery (no result storage)."""

    supports_defer = False
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        message = run_task.apply_async(
            args=(task.module_path, list(args), dict(kwargs)),
            queue=task.queue_name,
            routing_key=task.queue_name,
        )
        result = TaskResult(
            task=task,
            id=message.id,
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result


def waiting_messages(queues: list[str]) -> dict[str, int]:
    """Messages waiting in the broker for a worker, per queue (a message a worker took but has
    not acknowledged yet is not counted). Raises BrokerUnreachable when the broker does not answer."""
    timeouts = {"socket_connect_timeout": PROBE_TIMEOUT, "socket_timeout": PROBE_TIMEOUT}
    with app.connection_for_read(transport_options=timeouts) as connection:
        try:
            connection.ensure_connection(max_retries=0)  # one attempt: a probe does not wait for recovery
            with connection.channel() as channel:
                # Kombu counts a queue the way it stores it: on Redis, one list per priority step
                # ("renders", then "renders\x06\x163" and so on for prioritised messages).
                return {queue: channel.queue_declare(queue=queue).message_count for queue in queues}
        except (OperationalError, *connection.connection_errors, *connection.channel_errors) as exc:
            raise BrokerUnreachable(f"the Celery broker does not answer: {exc}") from exc
