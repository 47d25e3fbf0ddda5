"""TASK_BACKEND=celery through real processes: a private redis-server, gunicorn, and
Celery workers started with the documented command line (docs/deploy.md,
"Background tasks on Celery"); everything is spoken to over real HTTP."""

import base64
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import requests
from celery import Celery
from kombu import Connection
from PIL import Image

from tests.conftest import ROOT, free_port, last_line

pytestmark = pytest.mark.e2e


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 128, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


class Receiver:
    """Serves one PNG (each GET waits until `release` is set, `asked` marks its arrival)
    and records the webhook POSTs it receives."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()
        self.events: list[dict] = []
        receiver = self
        body = png_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                receiver.asked.set()
                receiver.release.wait(30)
                with contextlib.suppress(OSError):  # the worker that asked was killed meanwhile
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def do_POST(self):
                receiver.events.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.picture_url, self.hook_url = f"{base}/photo.png", f"{base}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_until(check, timeout: float, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail(message() if callable(message) else message)


@dataclass
class Stack:
    folder: Path
    env: dict
    base_url: str
    processes: list = field(default_factory=list)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log_path = self.folder / f"{name}.log"
        self.processes.append(process)
        return process

    def start_worker(self, name: str, queues: str) -> subprocess.Popen:
        """The documented worker command (docs/deploy.md), one process at a time for the test."""
        return self.start(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "imagior",
                "worker",
                "-Q",
                queues,
                "-n",
                f"{name}@%h",
                "--concurrency",
                "1",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "info",
            ],
        )

    def log(self, process) -> str:
        return process.log_path.read_text()

    def session(self, key: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        return session


def wait_ready(stack: Stack, worker) -> None:
    wait_until(lambda: " ready." in stack.log(worker), 30, lambda: f"the worker did not start:\n{stack.log(worker)}")


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


METRICS_TOKEN = "celery-metrics-token"
QUEUES = ("default", "renders", "webhooks")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A private redis-server and gunicorn on its own SQLite file with TASK_BACKEND=celery, for this module."""
    folder = tmp_path_factory.mktemp("celery")
    redis_port, port = free_port(), free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "SECRET_KEY": "e2e-only-secret",
        "DEBUG": "false",
        "ALLOW_PRIVATE_FETCH": "1",  # the picture server and the webhook receiver are on loopback
        "TASK_BACKEND": "celery",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        # A message taken by a worker that died goes to another worker after 3 s (not 300).
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "RENDER_WORKERS": "1",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    (folder / "static").mkdir(exist_ok=True)
    running = Stack(folder=folder, env=env, base_url=f"http://127.0.0.1:{port}")
    try:
        running.manage("migrate", "--noinput")
        gunicorn = running.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "imagior.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
            ],
        )

        def answers():
            try:
                return requests.get(f"{running.base_url}/api/v1/account", timeout=10).status_code
            except requests.RequestException:
                assert gunicorn.poll() is None, running.log(gunicorn)
                return None

        wait_until(answers, 30, lambda: f"gunicorn did not start:\n{running.log(gunicorn)}")
        yield running
    finally:
        stop([*running.processes, redis])


@pytest.fixture
def stack(web):
    """The module's web stack; the Celery workers a test starts are stopped after it."""
    before = len(web.processes)
    try:
        yield web
    finally:
        stop(web.processes[before:])
        del web.processes[before:]


def account(stack: Stack, email: str) -> requests.Session:
    stack.manage("create_account", email, "--plan", "starter", "--credits", "10")
    return stack.session(last_line(stack.manage("create_api_key", email)))


def ledger_rows(stack: Stack, image_id: str) -> str:
    return last_line(
        stack.manage(
            "shell",
            "-c",
            "from billing.models import LedgerEntry as L;"
            f"print(list(L.objects.filter(reference='{image_id}').order_by('id').values_list('kind', 'amount')))",
        )
    )


CARD = {
    "name": "Celery card",
    "width": 100,
    "height": 100,
    "background": "#ffffff",
    "elements": [
        {
            "name": "photo",
            "type": "image",
            "x": 0,
            "y": 0,
            "width": 100,
            "height": 100,
            "src": "data:image/png;base64," + base64.b64encode(png_bytes()).decode(),
        }
    ],
}


def test_enqueue_without_a_broker_url_is_refused_at_start():
    env = {**os.environ, "TASK_BACKEND": "celery", "CELERY_BROKER_URL": "", "SECRET_KEY": "x"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0 and "TASK_BACKEND=celery needs CELERY_BROKER_URL" in result.stderr


def test_an_async_render_runs_on_the_renders_queue_and_its_webhook_on_the_webhooks_queue(stack):
    receiver = Receiver()
    try:
        api = account(stack, "celery@example.com")
        base = stack.base_url
        renders = stack.start_worker("renders", "renders,default")
        template = api.post(f"{base}/api/v1/templates", json=CARD).json()
        subscription = {"url": receiver.hook_url, "events": ["image.completed"]}
        assert api.post(f"{base}/api/v1/webhooks", json=subscription).status_code == 201
        wait_ready(stack, renders)

        accepted = api.post(f"{base}/api/v1/images", json={"template": template["id"], "async": True})
        assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
        image_id = accepted.json()["id"]
        done = wait_until(
            lambda: (body := api.get(f"{base}/api/v1/images/{image_id}").json())["status"] == "completed" and body,
            30,
            lambda: f"the render did not complete:\n{stack.log(renders)}",
        )
        assert done["credits_used"] == 1
        assert api.get(base + urlsplit(done["url"]).path).status_code == 200

        # Nobody serves the webhooks queue yet: the delivery waits in Redis for its worker.
        time.sleep(1.5)
        assert receiver.events == []
        webhooks = stack.start_worker("webhooks", "webhooks")
        event = wait_until(
            lambda: receiver.events and receiver.events[0],
            30,
            lambda: f"no webhook arrived:\n{stack.log(webhooks)}",
        )
        assert event["type"] == "image.completed" and event["data"]["id"] == image_id
        assert "imagior.run_task" in stack.log(webhooks)
        assert api.get(f"{base}/api/v1/account").json()["credits"]["balance"] == 9
        assert ledger_rows(stack, image_id) == "[('render', -1)]"
        assert "OK" in stack.manage("check_ledger")
    finally:
        receiver.release.set()
        receiver.server.shutdown()


def test_a_worker_killed_mid_render_leaves_the_task_to_another_and_the_image_is_charged_once(stack):
    receiver = Receiver()
    try:
        api = account(stack, "killed@example.com")
        base = stack.base_url
        first = stack.start_worker("first", "renders")
        template = api.post(f"{base}/api/v1/templates", json=CARD).json()
        wait_ready(stack, first)
        accepted = api.post(
            f"{base}/api/v1/images",
            json={"template": template["id"], "async": True, "modifications": {"photo": receiver.picture_url}},
        )
        assert accepted.status_code == 202
        image_id = accepted.json()["id"]

        # The worker is inside the render (fetching its picture): kill -9 it and all its children.
        assert receiver.asked.wait(30), f"the worker never fetched the picture:\n{stack.log(first)}"
        assert api.get(f"{base}/api/v1/images/{image_id}").json()["status"] == "rendering"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        receiver.release.set()
        message_id = re.search(r"imagior\.run_task\[([0-9a-f-]+)\] received", stack.log(first)).group(1)
        assert "succeeded" not in stack.log(first)  # never acknowledged

        # Another worker gets the unacknowledged message and runs it again: the image is
        # already claimed, so it neither renders nor charges a second time.
        second = stack.start_worker("second", "renders")
        wait_until(
            lambda: f"imagior.run_task[{message_id}] succeeded" in stack.log(second),
            40,
            lambda: f"the message was not redelivered:\n{stack.log(second)}",
        )
        assert api.get(f"{base}/api/v1/images/{image_id}").json()["status"] == "rendering"
        assert api.get(f"{base}/api/v1/account").json()["credits"]["balance"] == 9
        assert ledger_rows(stack, image_id) == "[('render', -1)]"

        # The scheduled sweep fails and refunds a render whose worker died (docs/rendering.md):
        # run it as it runs once the claim is older than its limit.
        swept = stack.manage(
            "shell",
            "-c",
            "from datetime import timedelta; from django.utils import timezone;"
            "from templates_app.services import STUCK_AFTER, fail_stuck_renders;"
            "print(fail_stuck_renders(now=timezone.now() + STUCK_AFTER + timedelta(minutes=1)))",
        )
        assert last_line(swept) == "1"
        failed = api.get(f"{base}/api/v1/images/{image_id}").json()
        assert failed["status"] == "failed" and failed["credits_used"] == 0
        assert api.get(f"{base}/api/v1/account").json()["credits"]["balance"] == 10
        assert ledger_rows(stack, image_id) == "[('render', -1), ('refund', 1)]"

        # The new worker renders what comes next.
        later = api.post(f"{base}/api/v1/images", json={"template": template["id"], "async": True}).json()
        wait_until(
            lambda: api.get(f"{base}/api/v1/images/{later['id']}").json()["status"] == "completed",
            30,
            lambda: stack.log(second),
        )
        assert ledger_rows(stack, later["id"]) == "[('render', -1)]"
        assert "OK" in stack.manage("check_ledger")
    finally:
        receiver.release.set()
        receiver.server.shutdown()


def queue_depths(stack: Stack) -> dict[str, float]:
    """imagior_queue_depth per queue, as Prometheus reads it from /metrics."""
    answer = requests.get(f"{stack.base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    return {
        queue: float(value)
        for queue, value in re.findall(r'^imagior_queue_depth\{queue="(\w+)"\} (\S+)$', answer.text, re.MULTILINE)
    }


def purge(broker: str) -> None:
    with Connection(broker) as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


def test_readyz_and_metrics_count_the_messages_waiting_in_each_queue(stack):
    """No worker runs in this test: what is enqueued waits in Redis, and the operator sees it per queue."""
    # Credits enough that no low-balance e-mail joins the default queue.
    stack.manage("create_account", "depth@example.com", "--plan", "starter", "--credits", "100000")
    api = stack.session(last_line(stack.manage("create_api_key", "depth@example.com")))
    base, broker = stack.base_url, stack.env["CELERY_BROKER_URL"]
    template = api.post(f"{base}/api/v1/templates", json=CARD).json()
    purge(broker)  # what the earlier tests left on queues their workers did not serve (thumbnails on default)
    assert queue_depths(stack) == dict.fromkeys(QUEUES, 0)
    try:
        for _ in range(3):
            assert (
                api.post(f"{base}/api/v1/images", json={"template": template["id"], "async": True}).status_code == 202
            )
        # Straight to the broker as the backend sends them; the one with a priority goes to its
        # own Redis list ("webhooks\x06\x163"), which counts too.
        with Celery(broker=broker) as producer:
            producer.send_task("imagior.run_task", args=("x", [], {}), queue="webhooks", routing_key="webhooks")
            producer.send_task(
                "imagior.run_task", args=("x", [], {}), queue="webhooks", routing_key="webhooks", priority=5
            )
            producer.send_task("imagior.run_task", args=("x", [], {}), queue="default", routing_key="default")
        lists = redis.Redis.from_url(broker)
        assert (lists.llen("renders"), lists.llen("webhooks"), lists.llen("webhooks\x06\x163")) == (3, 1, 1)

        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 200
        assert ready.json()["checks"]["tasks"] == {
            "ok": True,
            "backend": "celery",
            "queued": 6,
            "queues": {"default": 1, "renders": 3, "webhooks": 2},
        }
        assert queue_depths(stack) == {"default": 1, "renders": 3, "webhooks": 2}
    finally:
        purge(broker)
    assert queue_depths(stack) == dict.fromkeys(QUEUES, 0)


def test_readyz_is_503_naming_the_broker_once_it_stops(stack):
    """Last in this file: it stops the module's Redis (the broker; the cache is in-process here)."""
    port = re.search(r":(\d+)/", stack.env["CELERY_BROKER_URL"]).group(1)
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True, timeout=10)
    ready = requests.get(f"{stack.base_url}/readyz", timeout=30)
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["tasks"]["ok"] is False
    assert body["checks"]["tasks"]["error"].startswith("BrokerUnreachable: the Celery broker does not answer")
    assert all(body["checks"][part]["ok"] for part in ("database", "cache", "storage")), body
    # /metrics still answers, without the depths it cannot read.
    assert queue_depths(stack) == {}
