"""Locust users for `make load` (bench/load.py drives them; docs/benchmarks.md, "Load").

Each user renders the reference card with its own title: three synchronous renders for
one asynchronous. Any answer but 2xx or 429 counts as a failure.
"""

import itertools
import os

from locust import HttpUser, between, task

counter = itertools.count()


class Renderer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {os.environ['LOAD_API_KEY']}"
        self.template = os.environ["LOAD_TEMPLATE"]

    def render(self, name: str, run_async: bool) -> None:
        body = {
            "template": self.template,
            "modifications": {"title": f"Load test card number {next(counter)}"},
            "async": run_async,
        }
        with self.client.post("/api/v1/images", json=body, name=name, catch_response=True) as response:
            if response.status_code in (201, 202):
                response.success()
            elif response.status_code == 429:
                response.success()  # the plan's limit doing its job, not an error
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(3)
    def sync_render(self):
        self.render("sync render", run_async=False)

    @task(1)
    def async_render(self):
        self.render("async render", run_async=True)
