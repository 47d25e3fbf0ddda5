"""End-to-end fixtures: the real service (bin/run: gunicorn + the task worker)
in its own processes, on its own SQLite file, spoken to over real HTTP."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    env: dict
    banner: str

    def manage(self, *args: str) -> str:
        """Run a management command against the server's database; returns stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def spawn_manage(self, *args: str) -> subprocess.Popen:
        """Start a management command in its own process (for concurrency tests)."""
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def session(self, key: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        return session


@contextlib.contextmanager
def running_server(folder: Path, **extra_env: str):
    """bin/run (gunicorn + worker + scheduler) on a free port with its own database and files."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": "e2e-only-secret",
        "DEBUG": "false",
        # Callbacks go to a receiver on loopback in these tests.
        "ALLOW_PRIVATE_FETCH": "1",
        **extra_env,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    (folder / "static").mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open(folder / "server.log", "w+") as log:
        process = subprocess.Popen(
            ["bin/run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base_url}/api/v1/account", timeout=30)
                    break
                except requests.RequestException:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"the server did not start:\n{log.read()}")
                    time.sleep(0.2)
            log.seek(0)
            yield Server(base_url=base_url, env=env, banner=log.read())
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a free port (make test installs it when missing)."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def statuses_in_one_window(url: str, headers: dict, count: int) -> list[int]:
    """GET `url` `count` times, all inside one rate-limit minute (a window about to reset is waited out)."""
    first = requests.get(url, headers=headers, timeout=30)
    if int(first.headers["RateLimit-Reset"]) < 15:  # start a fresh window: no reset mid-test
        time.sleep(int(first.headers["RateLimit-Reset"]) + 1)
        first = requests.get(url, headers=headers, timeout=30)
    return [first.status_code] + [requests.get(url, headers=headers, timeout=30).status_code for _ in range(count - 1)]


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def find_key(banner: str, mode: str) -> str:
    match = re.search(rf"\b(imk_{mode}_[0-9A-Za-z]+)", banner)
    assert match, banner
    return match.group(1)
