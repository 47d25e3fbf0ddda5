"""The scale topology end to end (docs/deploy.md, "make run-scale"): `bin/run-scale` starts
PostgreSQL, Redis, an S3 server (moto), two gunicorn processes, two Celery workers and the
scheduler; every check below goes over HTTP to that server."""

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.conftest import find_key, free_port, statuses_in_one_window
from webhooks.tests.receiver import start_receiver

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
CARD = {
    "width": 240,
    "height": 160,
    "elements": [{"name": "box", "type": "rect", "x": 0, "y": 0, "width": 120, "height": 80, "fill": "#ff0000"}],
}


@pytest.fixture(scope="module")
def scale():
    """bin/run-scale on a free port, with its state in a directory the postgres user can reach."""
    state = Path(tempfile.mkdtemp(prefix="imagior-scale-"))
    state.chmod(0o755)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CACHE_", "CELERY_", "AWS_"))},
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SCALE_STATE_DIR": str(state),
        "SECRET_KEY": "e2e-only-secret",
        "DEBUG": "false",
        "ALLOW_PRIVATE_FETCH": "1",  # the webhook receiver listens on loopback
        "STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MEDIA_ROOT": str(state / "media"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(state / "run-scale.log", "w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        ["bin/run-scale"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"run-scale did not start:\n{log.read()[-5000:]}")
            time.sleep(0.5)
        log.seek(0)
        banner = log.read()
        parts = dict(re.findall(r"(database|cache|broker) (\S+?),", banner))
        running = {"base": base, "banner": banner, "env": {**env, "DATABASE_URL": parts["database"]}, "log": log}
        yield running
        # After every test here (async renders, webhooks, Redis stopped and back), no balance drifts.
        assert "OK" in manage(running, "check_ledger")
    finally:
        # Everything run-scale started: its descendants and the PostgreSQL cluster (pg_ctl detaches it).
        started = descendants(process.pid)
        if (postmaster := state / "postgres" / "postmaster.pid").exists():
            started |= descendants(int(postmaster.read_text().split()[0]), itself=True)
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        # A Redis the last test restarted is not run-scale's to stop.
        log.seek(0)
        if port := re.search(r"cache redis://127.0.0.1:(\d+)/", log.read()):
            subprocess.run(["redis-cli", "-p", port.group(1), "shutdown", "nosave"], capture_output=True, timeout=10)
        log.close()
        shutil.rmtree(state, ignore_errors=True)
    # Checked only once the rest is cleaned up, so that a failure leaves nothing behind but them.
    kinds = " ".join(command for _, command in started)
    for kind in ("gunicorn", "celery", "moto_server", "run_scheduler", "postgres"):
        assert kind in kinds, f"{kind} not among run-scale's processes: {sorted(started)}"
    assert not (survivors := [command for identity, command in started if alive(identity)]), survivors


def _proc_stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process from /proc, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": the name may hold anything
    return fields[0], int(fields[1]), fields[19]


def descendants(root: int, itself: bool = False) -> set[tuple[tuple[int, str], str]]:
    """The living processes under root: ((pid, start time), command line), so a reused pid is not mistaken."""
    tree, found = {}, set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) and stat[0] != "Z":
            tree.setdefault(stat[1], []).append(int(entry.name))
    pending = [root] if itself else list(tree.get(root, []))
    while pending:
        pid = pending.pop()
        pending += tree.get(pid, [])
        if stat := _proc_stat(pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found.add(((pid, stat[2]), command))
    return found


def alive(identity: tuple[int, str]) -> bool:
    stat = _proc_stat(identity[0])
    return stat is not None and stat[0] != "Z" and stat[2] == identity[1]


def manage(scale, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=scale["env"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def new_account(scale, email: str, credits: int) -> requests.Session:
    manage(scale, "create_account", email, "--plan", "free")
    manage(
        scale,
        "shell",
        "-c",
        "from accounts.models import User; from billing import ledger; "
        f"ledger.set_balance(User.objects.get(email='{email}'), balance={credits}, reason='e2e')",
    )
    key = manage(scale, "create_api_key", email).strip().splitlines()[-1]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def test_every_part_is_the_scaled_one(scale):
    checks = requests.get(f"{scale['base']}/readyz", timeout=10).json()["checks"]
    assert all(check["ok"] for check in checks.values()), checks
    assert set(checks["tasks"]["queues"]) == {"renders", "webhooks", "default"}  # counted in the broker
    assert checks["database"]["vendor"] == "postgresql"
    assert checks["cache"]["backend"] == "redis"
    assert checks["storage"]["backend"] == "s3"
    assert checks["tasks"]["backend"] == "celery"
    assert "Imagior is serving on" in scale["banner"] and find_key(scale["banner"], "live")


def test_twenty_renders_against_five_credits_make_exactly_five_images(scale):
    base = scale["base"]
    api = new_account(scale, "five@example.com", credits=5)
    template = api.post(f"{base}/api/v1/templates", json=CARD, timeout=30).json()["id"]

    def render(_):
        return api.post(f"{base}/api/v1/images", json={"template": template}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(render, range(20)))
    # Two web processes share the plan's 10 a minute: the rest are 429 or 403, never a sixth image.
    assert statuses.count(201) == 5, statuses
    assert set(statuses) <= {201, 403, 429}
    # The API's own minute is spent: count in the database.
    count = (
        "from templates_app.models import Image; print(Image.objects.filter(owner__email='five@example.com').count())"
    )
    assert manage(scale, "shell", "-c", count).strip().splitlines()[-1] == "5"
    assert "OK" in manage(scale, "check_ledger")


def test_async_renders_and_webhooks_go_through_celery_and_files_through_s3(scale):
    base = scale["base"]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {find_key(scale['banner'], 'live')}"
    receiver, server = start_receiver()
    try:
        template = api.post(f"{base}/api/v1/templates", json=CARD, timeout=30).json()["id"]
        hook = {"url": receiver.url, "events": ["image.completed"]}
        assert api.post(f"{base}/api/v1/webhooks", json=hook, timeout=30).status_code == 201
        pending = api.post(f"{base}/api/v1/images", json={"template": template, "async": True}, timeout=30)
        assert pending.status_code == 202
        image_url = f"{base}/api/v1/images/{pending.json()['id']}"
        deadline = time.monotonic() + 60
        while (image := api.get(image_url, timeout=30).json())["status"] != "completed":
            assert image["status"] in ("pending", "rendering") and time.monotonic() < deadline, image
            time.sleep(0.3)
        # The file comes back from the S3 server (a presigned URL), not from our disk.
        assert "X-Amz-Signature" in image["url"] or "Signature" in image["url"], image["url"]
        picture = Image.open(io.BytesIO(requests.get(image["url"], timeout=30).content)).convert("RGB")
        assert picture.size == (240, 160) and picture.getpixel((60, 40))[0] > 200
        # The webhook went out through the Celery webhooks queue.
        delivered = receiver.wait_for(1, timeout=60)
        assert delivered and json.loads(delivered[0]["body"])["data"]["id"] == image["id"]
    finally:
        server.shutdown()
    assert (
        "imagior.run_task"
        in Path(scale["log"].name).parent.joinpath("celery1.log").read_text()
        + Path(scale["log"].name).parent.joinpath("celery2.log").read_text()
    )


def test_rate_limits_stay_exact_across_the_two_web_processes(scale):
    base = scale["base"]
    api = new_account(scale, "ten@example.com", credits=50)  # Free: 10 requests a minute
    # A new connection for each request (no keep-alive), so either process may take it; the
    # user agent finds them in the access log.
    headers = {**api.headers, "Connection": "close", "User-Agent": "e2e-rate-limit"}
    url = f"{base}/api/v1/templates"
    assert statuses_in_one_window(url, headers, 13) == [200] * 10 + [429] * 3
    # bin/run-scale's access log ends each line with the pid of the process that answered.
    log = Path(scale["log"].name).read_text()
    workers = set(re.findall(r"Booting worker with pid: (\d+)", log))
    answered = re.findall(r'"GET /api/v1/templates HTTP/1.1" (\d+) .* "e2e-rate-limit" <(\d+)>', log)
    assert len(answered) >= 13 and {pid for _, pid in answered} == workers and len(workers) == 2, answered


def test_with_redis_stopped_answers_stay_problems_and_come_back_with_it(scale):
    """Last in this file: it stops the topology's Redis and starts it again."""
    base = scale["base"]
    api = new_account(scale, "redis@example.com", credits=50)
    port = re.search(r"cache redis://127.0.0.1:(\d+)/", scale["banner"]).group(1)
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True, timeout=10)
    try:
        answer = api.get(f"{base}/api/v1/templates", timeout=30)
        assert answer.status_code == 503 and answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == "service_unavailable" and "Retry-After" in answer.headers
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["cache"]["ok"] is False
        # The same Redis is the Celery broker: the tasks check names it.
        tasks = ready.json()["checks"]["tasks"]
        assert tasks["ok"] is False and "the Celery broker does not answer" in tasks["error"], tasks
        assert ready.json()["checks"]["database"]["ok"] and ready.json()["checks"]["storage"]["ok"]
    finally:
        state = Path(scale["log"].name).parent
        subprocess.Popen(
            ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", str(state)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while (answer := api.get(f"{base}/api/v1/templates", timeout=30)).status_code != 200:
        assert time.monotonic() < deadline, answer.text[:300]
        time.sleep(0.5)
