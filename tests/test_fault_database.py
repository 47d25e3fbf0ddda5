"""PostgreSQL restarts under a running server (docs/deploy.md, "The database"): while it is
down every API answer is a clean 503 problem+json and /readyz says which part is missing;
once it is back, the same processes serve again without a restart of their own.

A private PostgreSQL cluster (Debian's binaries, `bin/ensure-postgres`) on a free port,
so stopping it disturbs nothing else."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import find_key, free_port, running_server

pytestmark = pytest.mark.e2e

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CARD = {"width": 100, "height": 60, "elements": [{"name": "box", "type": "rect", "width": 50, "height": 50}]}


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=60)


class PrivatePostgres:
    def __init__(self):
        self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="imagior-pg-"))
        owner = pwd.getpwnam("postgres")
        os.chown(self.data, owner.pw_uid, owner.pw_gid)
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data / "server.log")  # the server must not hold our pipes open
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "stop"])
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def postgres():
    if os.geteuid() != 0 or not PG_BIN.exists():
        pytest.fail("the fault tests run as root with Debian's PostgreSQL 15 (bin/ensure-postgres)")
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def test_a_postgresql_restart_gives_clean_503s_then_recovery(tmp_path, postgres):
    with running_server(tmp_path, DATABASE_URL=postgres.url, DATABASE_POOL_TIMEOUT="2") as server:
        api = server.session(find_key(server.banner, "live"))
        base = server.base_url
        created = api.post(f"{base}/api/v1/templates", json=CARD)
        assert created.status_code == 201
        before = api.get(f"{base}/api/v1/templates").json()["count"]
        assert requests.get(f"{base}/readyz", timeout=10).json()["checks"]["database"]["vendor"] == "postgresql"

        postgres.stop()
        answers = [api.get(f"{base}/api/v1/templates", timeout=30) for _ in range(2)]
        for answer in answers:
            assert answer.status_code == 503, answer.text[:300]
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.json()["code"] == "service_unavailable" and int(answer.headers["Retry-After"]) > 0
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["database"]["ok"] is False
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200  # the process itself is fine

        postgres.start()
        deadline = time.monotonic() + 30
        while (answer := api.get(f"{base}/api/v1/templates", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, answer.text[:300]
            time.sleep(0.5)
        assert answer.json()["count"] == before  # nothing was lost
        assert api.get(f"{base}/api/v1/templates/{created.json()['id']}").status_code == 200
        assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
