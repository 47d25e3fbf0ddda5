"""`make load`: Locust, headless, for 60 s against `bin/run-scale` with the reference card.

Fails on any error other than 429, on a p95 of synchronous renders above 400 ms at 8
users, or on ledger drift (`check_ledger`). Writes its figures to docs/benchmarks.md
("Load"), with the machine and the date.
"""

import argparse
import csv
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_render import card_template, data_uri, free_port, make_logo, make_photo  # noqa: E402

P95_GOAL_MS = 400
START, END = "<!-- load:start -->", "<!-- load:end -->"


def start_topology(state: Path) -> tuple[subprocess.Popen, str, dict]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CACHE_", "CELERY_", "AWS_"))}
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        SCALE_STATE_DIR=str(state),
        SECRET_KEY="load-only-secret",  # noqa: S106 (a throwaway local server)
        DEBUG="false",
        STATIC_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(state / "run-scale.log", "w+")  # noqa: SIM115 (lives as long as the topology)
    process = subprocess.Popen(
        ["bin/run-scale"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise SystemExit(f"run-scale did not start:\n{log.read()[-4000:]}")
        time.sleep(0.5)
    log.seek(0)
    database = re.search(r"database (\S+?),", log.read()).group(1)
    return process, base, {**env, "DATABASE_URL": database}


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="imagior-load-"))
    state.chmod(0o755)
    process, base, env = start_topology(state)
    try:
        manage(env, "create_account", "load@example.com", "--plan", "business")
        key = manage(env, "create_api_key", "load@example.com").strip().splitlines()[-1]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        photo = data_uri("image/jpeg", make_photo())  # embedded: the load measures rendering, not fetching
        response = api.post(f"{base}/api/v1/templates", json=card_template(data_uri("image/png", make_logo()), photo))
        response.raise_for_status()
        out = state / "locust"
        locust = [
            str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"), "--headless",
            "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--host", base,
            "--csv", str(out), "--only-summary", "--exit-code-on-error", "0",
        ]  # fmt: skip
        started = datetime.now(UTC)
        subprocess.run(
            locust, env={**os.environ, "LOAD_API_KEY": key, "LOAD_TEMPLATE": response.json()["id"]}, check=True
        )
        with open(f"{out}_stats.csv") as stats:
            rows = {row["Name"]: row for row in csv.DictReader(stats)}
        time.sleep(5)  # let the last asynchronous renders finish before the books are checked
        ledger = manage(env, "check_ledger").strip().splitlines()[-1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(state, ignore_errors=True)
    sync, total = rows["sync render"], rows["Aggregated"]
    p95 = float(sync["95%"])
    failures = int(total["Failure Count"])
    problems = []
    if failures:
        problems.append(f"{failures} failed requests (errors other than 429)")
    if p95 > P95_GOAL_MS:
        problems.append(f"p95 of synchronous renders {p95:.0f} ms > {P95_GOAL_MS} ms")
    if not ledger.startswith("OK"):
        problems.append(f"ledger drift: {ledger}")
    report = render_report(args, started, rows, ledger, problems)
    print(report)
    if not args.no_write:
        write_report(report)
    return 1 if problems else 0


def render_report(args, started, rows, ledger, problems) -> str:
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC: `make load` — Locust, {args.users} users, {args.seconds} s, "
        "against `make run-scale` (PostgreSQL, Redis, moto S3, 2 gunicorn processes, 2 Celery workers) "
        "with the reference card (photo embedded), 3 synchronous renders for 1 asynchronous, "
        "0.5–1.5 s between a user's requests.",
        "",
        "| request | count | failures | median ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("sync render", "async render", "Aggregated"):
        row = rows.get(name)
        if row:
            lines.append(
                f"| {name} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | {row['95%']} | "
                f"{row['99%']} | {float(row['Requests/s']):.1f} |"
            )
    lines += [
        "",
        f"Ledger after the run: `{ledger}`. Verdict: {'PASS' if not problems else 'FAIL — ' + '; '.join(problems)} "
        f"(goal: no errors but 429, p95 of synchronous renders ≤ {P95_GOAL_MS} ms, no drift).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
    ]
    return "\n".join(lines)


def write_report(report: str) -> None:
    replace_section(ROOT / "docs/benchmarks.md", "Load (`make load`)", START, END, report)


def replace_section(path: Path, heading: str, start: str, end: str, report: str) -> None:
    """Put `report` between the `start` and `end` markers of `path`, or append it under `heading`."""
    text = path.read_text()
    block = f"{start}\n{report}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
