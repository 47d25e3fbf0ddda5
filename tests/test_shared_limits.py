"""Rate limits hold across several gunicorn processes when the cache is shared (Redis)."""

import pytest

from tests.conftest import last_line, running_server, statuses_in_one_window

pytestmark = pytest.mark.e2e


def test_three_gunicorn_processes_with_redis_admit_exactly_the_plans_requests(tmp_path, redis_url):
    with running_server(tmp_path, CACHE_URL=redis_url, WEB_CONCURRENCY="3", WEB_THREADS="2") as server:
        server.manage("create_account", "shared@example.com")  # Free: 10 a minute
        key = last_line(server.manage("create_api_key", "shared@example.com"))
        headers = {"Authorization": f"Bearer {key}", "Connection": "close"}  # new connections: spread the load
        url = f"{server.base_url}/api/v1/templates"
        assert statuses_in_one_window(url, headers, 15) == [200] * 10 + [429] * 5
        log = (tmp_path / "server.log").read_text()
        workers = {line.split("Booting worker with pid: ")[1] for line in log.splitlines() if "Booting worker" in line}
        assert len(workers) == 3
