"""Issue 9, point 8 through real processes (bin/run: gunicorn, one db_worker per queue,
the scheduler; real HTTP): a webhook endpoint that never answers holds up neither the
renders nor more than WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT (2) webhook workers."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import find_key, last_line, running_server

pytestmark = pytest.mark.e2e

CARD = {
    "name": "Queue card",
    "width": 120,
    "height": 80,
    "background": "#ffffff",
    "elements": [{"name": "box", "type": "rect", "x": 10, "y": 10, "width": 50, "height": 50, "fill": "#ff0000"}],
}


class HeldEndpoint:
    """Takes webhook POSTs and answers none of them until `release` is set; counts how many wait at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.arrived: list[str] = []
        self.waiting = self.most_at_once = 0
        held = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with held.lock:
                    held.arrived.append(self.headers["webhook-id"])
                    held.waiting += 1
                    held.most_at_once = max(held.most_at_once, held.waiting)
                held.release.wait(60)
                with held.lock:
                    held.waiting -= 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_until(check, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail(message() if callable(message) else message)


def test_an_endpoint_that_never_answers_delays_no_render_and_holds_at_most_two_webhook_workers(tmp_path):
    held = HeldEndpoint()
    extra_workers = []
    try:
        # The scheduler's retry pass every second, so the delivery that waited goes out soon after.
        with running_server(tmp_path, SCHEDULER_INTERVAL="1") as server:
            base = server.base_url
            api = server.session(find_key(server.banner, "live"))  # the demo account's
            # Two more webhook workers beside bin/run's: three could send at once; the cap lets two.
            extra_workers = [
                server.spawn_manage("db_worker", "--queue-name", "webhooks", "--no-reload", "--no-startup-delay")
                for _ in range(2)
            ]
            subscription = {"url": held.url, "events": ["image.completed"]}
            assert api.post(f"{base}/api/v1/webhooks", json=subscription).status_code == 201
            template = api.post(f"{base}/api/v1/templates", json=CARD).json()
            for _ in range(3):  # rendered at once; each completion is a delivery to the held endpoint
                assert api.post(f"{base}/api/v1/images", json={"template": template["id"]}).status_code == 201
            wait_until(lambda: len(held.arrived) >= 2, 30, "the webhook workers never called the endpoint")

            # While the endpoint holds two workers, an async render goes through the render worker at once.
            started = time.monotonic()
            pending = api.post(f"{base}/api/v1/images", json={"template": template["id"], "async": True})
            assert pending.status_code == 202
            image_url = f"{base}/api/v1/images/{pending.json()['id']}"
            wait_until(lambda: api.get(image_url).json()["status"] == "completed", 8, "the render waited")
            assert time.monotonic() - started < 8  # shorter than one webhook timeout (10 s)
            time.sleep(1.0)  # time for the third webhook worker to take the third delivery
            # The third (and the async render's own) waited.
            assert (len(held.arrived), held.most_at_once) == (2, 2), "over the cap, deliveries wait"

            held.release.set()
            wait_until(lambda: len(held.arrived) == 4, 30, "the deferred deliveries were dropped")
            summary = (
                "from webhooks.models import WebhookDelivery as D;"
                "print(sorted((d.status, d.attempts, d.attempt_log.count()) for d in D.objects.all()))"
            )
            expected = str([("succeeded", 1, 1)] * 4)  # waiting was not a try
            seen = []
            wait_until(
                lambda: seen.append(last_line(server.manage("shell", "-c", summary))) or seen[-1] == expected,
                20,
                lambda: f"not all delivered: {seen[-1:]}",
            )
            assert held.most_at_once == 2
    finally:
        held.release.set()
        for worker in extra_workers:
            worker.terminate()
            worker.wait(15)
        held.server.shutdown()
