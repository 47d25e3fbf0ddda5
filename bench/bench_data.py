"""`make bench-data`: does a big account's history slow its requests down?

Seeds one account with 1,000,000 ledger rows, 1,000,000 images and 5,000,000
request-log rows (a year of a busy Business plan) next to a small account that
has one page of each, then times every API GET and every dashboard page for
both, interleaved, and compares their medians: the big account's must be within
1.5x of the small one's. It does that on SQLite (a fresh file) and on
PostgreSQL (the database of `bin/run-scale`). The figures go into
docs/benchmarks.md ("Big accounts"); the command fails when a call is out of
bounds.

The rows are copies of real ones (an image rendered through the service, its
ledger charge, a logged API request), made with one INSERT … SELECT over a
number series per batch, so seeding takes seconds per million rows instead of
building Python objects. The timings run in-process (Django's test client, the
whole middleware stack) so they measure the application and the database, not
the network.

`--scale 0.001` seeds a thousandth of the rows (the test of this script uses it).
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUND = 1.5
LEDGER_ROWS, IMAGE_ROWS, REQUEST_ROWS = 1_000_000, 1_000_000, 5_000_000
DELIVERY_ROWS = IMAGE_ROWS  # a webhook delivery per image: deliveries are kept, like images
ROLLUP_DAYS = 400  # the daily usage rollups of the same year and more
PAGE_ROWS = 130  # the small account has enough of each for every page timed: answers of the same size
BATCH = 250_000
START, END = "<!-- bench-data:start -->", "<!-- bench-data:end -->"


# ---------------------------------------------------------------- the orchestrator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the row counts to seed")
    parser.add_argument("--runs", type=int, default=25, help="timed calls per page and account")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.scale, args.runs)))
        return 0

    started = datetime.now(UTC)
    results = []
    for database in args.databases.split(","):
        state = Path(tempfile.mkdtemp(prefix=f"imagior-bench-data-{database}-"))
        state.chmod(0o755)
        try:
            results.append(measure(database, state, args))
        finally:
            shutil.rmtree(state, ignore_errors=True)
    report = render_report(started, args, results)
    print(report)
    if not args.no_write:
        write_report(report)
    return 1 if any(call["ratio"] > BOUND for result in results for call in result["calls"]) else 0


def base_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CACHE_", "CELERY_", "AWS_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        SECRET_KEY="bench-only-secret",  # noqa: S106 (a throwaway database)
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        STATIC_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    return env


def measure(database: str, state: Path, args) -> dict:
    """Seed and time in a worker process whose DATABASE_URL points at `database`."""
    topology = None
    env = base_env()
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{state / 'bench.sqlite3'}"
    elif database == "postgresql":
        sys.path.insert(0, str(ROOT / "bench"))
        from load import start_topology

        topology, _, scale_env = start_topology(state)
        env["DATABASE_URL"] = scale_env["DATABASE_URL"]
    else:
        raise SystemExit(f"Unknown database {database!r}: sqlite or postgresql.")
    env["MEDIA_ROOT"] = str(state / "media")
    try:
        command = [sys.executable, __file__, "--worker", "--scale", str(args.scale), "--runs", str(args.runs)]
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            raise SystemExit(f"The {database} worker failed (exit {done.returncode}).")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if topology is not None:
            topology.send_signal(signal.SIGINT)
            try:
                topology.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(topology.pid, signal.SIGKILL)


def render_report(started: datetime, args, results: list[dict]) -> str:
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC: `make bench-data` — one account with "
        + ", ".join(f"{n:,} {what}" for what, n in results[0]["rows"].items())
        + f"; a small account with {PAGE_ROWS} of each (enough for every page timed, so both answers "
        "have the same size). "
        f"Median of {args.runs} interleaved calls per account, in-process through the whole middleware "
        f"stack; bound: big ≤ {BOUND}× small.",
    ]
    for result in results:
        lines += [
            "",
            f"**{result['database']}** (seeded in {result['seed_seconds']:.0f} s)",
            "",
            "| call | small account ms | big account ms | ratio | |",
            "|---|---:|---:|---:|---|",
        ]
        for call in result["calls"]:
            verdict = "ok" if call["ratio"] <= BOUND else "**over**"
            figures = f"{call['small_ms']:.1f} | {call['big_ms']:.1f} | {call['ratio']:.2f}"
            lines.append(f"| `{call['name']}` | {figures} | {verdict} |")
    over = [f"{r['database']} {c['name']}" for r in results for c in r["calls"] if c["ratio"] > BOUND]
    lines += [
        "",
        f"Verdict: {'PASS' if not over else 'FAIL — over the bound: ' + ', '.join(over)}.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
    ]
    return "\n".join(lines)


def write_report(report: str) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from load import replace_section

    replace_section(ROOT / "docs/benchmarks.md", "Big accounts (`make bench-data`)", START, END, report)


# ---------------------------------------------------------------- the worker (DATABASE_URL set)


def worker(scale: float, runs: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "imagior.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    small, big = seed_account("small"), seed_account("big")
    counts = {
        "ledger rows": round(LEDGER_ROWS * scale),
        "images": round(IMAGE_ROWS * scale),
        "request-log rows": round(REQUEST_ROWS * scale),
        "webhook deliveries": round(DELIVERY_ROWS * scale),
        "days of usage rollups": max(1, round(ROLLUP_DAYS * scale)),
    }
    fill(small, ledger=PAGE_ROWS, images=PAGE_ROWS, requests=PAGE_ROWS, deliveries=PAGE_ROWS, days=0)
    fill(
        big,
        ledger=counts["ledger rows"],
        images=counts["images"],
        requests=counts["request-log rows"],
        deliveries=counts["webhook deliveries"],
        days=counts["days of usage rollups"],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - started
    counts = rows_of(big["user"])
    log(f"seeded in {seed_seconds:.0f} s")
    calls = time_calls(small, big, runs)
    return {"database": connection.vendor, "rows": counts, "seed_seconds": seed_seconds, "calls": calls}


def rows_of(user) -> dict:
    """What the big account holds now, counted."""
    from billing.models import LedgerEntry, RequestLog, UsageDay
    from templates_app.models import Image
    from webhooks.models import WebhookDelivery

    return {
        "days of usage rollups": UsageDay.objects.filter(user=user).values("day").distinct().count(),
        "ledger rows": LedgerEntry.objects.filter(account__user=user).count(),
        "images": Image.objects.filter(owner=user).count(),
        "request-log rows": RequestLog.objects.filter(user=user).count(),
        "webhook deliveries": WebhookDelivery.objects.filter(owner=user).count(),
    }


def log(message: str) -> None:
    print(f"bench-data: {message}", file=sys.stderr, flush=True)


def seed_account(name: str) -> dict:
    """A Business-like account with a template, a live key, a webhook and one real render."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_render import card_template, data_uri, make_logo, make_photo
    from django.test import Client

    from accounts.models import ApiKey, User
    from billing import ledger
    from billing.models import BillingAccount, Plan
    from templates_app import services
    from webhooks import services as webhooks

    # No rate limit in the way of the timing loop.
    plan, _ = Plan.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "monthly_credits": 10**9, "rate_limit_per_minute": 10**6}
    )
    user = User.objects.create_user(f"{name}@bench.example", "correct horse battery staple")
    user.mark_email_verified()
    ledger.open_account(user, plan=plan)
    BillingAccount.objects.filter(user=user).update(plan=plan)
    key, raw = ApiKey.issue(user, name=f"{name} key")
    template = services.create_template(
        owner=user, data=card_template(data_uri("image/png", make_logo()), data_uri("image/jpeg", make_photo()))
    )
    subscription = webhooks.create_subscription(
        owner=user, url="https://hooks.example/imagior", events=["image.completed"]
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post("/api/v1/images", {"template": template.public_id}, content_type="application/json")
    if response.status_code != 201:
        raise SystemExit(f"The seed render failed: {response.status_code} {response.content[:500]!r}")
    dashboard = Client()
    dashboard.force_login(user)
    return {
        "user": user,
        "key": key,
        "raw_key": raw,
        "template": template.public_id,
        "webhook": subscription.public_id,
        "image": response.json()["id"],
        "api": api,
        "dashboard": dashboard,
    }


def fill(account: dict, *, ledger: int, images: int, requests: int, deliveries: int, days: int) -> None:
    """Copy the account's real rows until it has that many more of each, and its
    rollups (today's, from the real render) to that many days before today."""
    from billing.models import LedgerEntry, RequestLog, UsageDay
    from templates_app.models import Image
    from webhooks.models import WebhookDelivery

    user = account["user"]
    image = Image.objects.get(public_id=account["image"])
    charge = LedgerEntry.objects.filter(account__user=user, reference=image.public_id).get()
    request = RequestLog.objects.filter(user=user).latest("id")
    # Spread over a year (images and ledger) and over the request log's retention.
    clone(Image, image.pk, images, step_seconds=31, unique=["public_id", "file_token"])
    clone(LedgerEntry, charge.pk, ledger, step_seconds=31, unique=["reference"])
    clone(RequestLog, request.pk, requests, step_seconds=0.5)
    delivery = WebhookDelivery.objects.filter(owner=user).latest("id")
    clone(WebhookDelivery, delivery.pk, deliveries, step_seconds=31, unique=["message_id"])
    for rollup in UsageDay.objects.filter(user=user).values_list("pk", flat=True):
        clone(UsageDay, rollup, days, step_seconds=0)


def clone(model, source_pk: int, count: int, *, step_seconds: float, unique: tuple = ()) -> None:
    """INSERT `count` copies of one row, in batches: every column as the source's, except the
    primary key (new), `created_at` (i × step seconds before now), `day` (i days before
    today) and the `unique` text columns (the source's value with the row number appended)."""
    from django.db import connection, transaction

    table = connection.ops.quote_name(model._meta.db_table)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = connection.ops.quote_name(field.column)
        columns.append(column)
        if field.name == "created_at":
            values.append(_seconds_ago(f"s.i * {float(step_seconds)}"))
        elif field.name == "day":
            values.append(_days_ago("s.i"))
        elif field.name in unique:
            values.append(f"src.{column} || '_' || CAST(s.i AS TEXT)")
        else:
            values.append(f"src.{column}")
    series = (
        "WITH RECURSIVE s(i) AS (SELECT %(first)s UNION ALL SELECT i + 1 FROM s WHERE i < %(last)s)"
        if connection.vendor == "sqlite"
        else "WITH s(i) AS (SELECT generate_series(%(first)s, %(last)s))"
    )
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        # Table and column names come from the models, numbers from this script.
        sql = (
            f"{series % {'first': done + 1, 'last': done + size}} "  # noqa: S608
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM s CROSS JOIN {table} AS src WHERE src.id = %s"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [source_pk])
        done += size
        if count > BATCH:
            log(f"{model._meta.label}: {done:,} of {count:,}")


def _seconds_ago(expression: str) -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || ({expression}) || ' seconds')"
    return f"now() - make_interval(secs => {expression})"


def _days_ago(expression: str) -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"date('now', '-' || ({expression}) || ' days')"
    return f"current_date - ({expression})"


def calls_for(account: dict) -> list[tuple[str, str, str]]:
    """(name, client, path): every API GET and every dashboard page, for this account."""
    template, image, webhook = account["template"], account["image"], account["webhook"]
    return [
        ("GET /api/v1/account", "api", "/api/v1/account"),
        ("GET /api/v1/usage", "api", "/api/v1/usage"),
        ("GET /api/v1/usage?days=365", "api", "/api/v1/usage?days=365"),
        ("GET /api/v1/templates", "api", "/api/v1/templates"),
        ("GET /api/v1/templates/{id}", "api", f"/api/v1/templates/{template}"),
        ("GET /api/v1/templates/{id}/schema", "api", f"/api/v1/templates/{template}/schema"),
        ("GET /api/v1/images", "api", "/api/v1/images"),
        ("GET /api/v1/images?offset=100", "api", "/api/v1/images?offset=100"),
        ("GET /api/v1/images?status=completed", "api", "/api/v1/images?status=completed"),
        ("GET /api/v1/images?template={id}", "api", f"/api/v1/images?template={template}"),
        ("GET /api/v1/images/{id}", "api", f"/api/v1/images/{image}"),
        ("GET /api/v1/fonts", "api", "/api/v1/fonts"),
        ("GET /api/v1/webhooks", "api", "/api/v1/webhooks"),
        ("GET /api/v1/webhooks/{id}", "api", f"/api/v1/webhooks/{webhook}"),
        ("/dashboard/", "dashboard", "/dashboard/"),
        ("/dashboard/templates", "dashboard", "/dashboard/templates"),
        ("/dashboard/templates/{id}/edit", "dashboard", f"/dashboard/templates/{template}/edit"),
        ("/dashboard/images", "dashboard", "/dashboard/images"),
        ("/dashboard/images?page=5", "dashboard", "/dashboard/images?page=5"),
        ("/dashboard/images?status=completed", "dashboard", "/dashboard/images?status=completed"),
        ("/dashboard/images/{id}", "dashboard", f"/dashboard/images/{image}"),
        ("/dashboard/usage", "dashboard", "/dashboard/usage"),
        ("/dashboard/usage?days=90", "dashboard", "/dashboard/usage?days=90"),
        ("/dashboard/usage.csv", "dashboard", "/dashboard/usage.csv"),
        ("/dashboard/webhooks", "dashboard", "/dashboard/webhooks"),
        ("/dashboard/keys", "dashboard", "/dashboard/keys"),
        ("/dashboard/billing", "dashboard", "/dashboard/billing"),
        ("/dashboard/profile", "dashboard", "/dashboard/profile"),
        ("/dashboard/docs", "dashboard", "/dashboard/docs"),
    ]


def time_calls(small: dict, big: dict, runs: int) -> list[dict]:
    results = []
    for (name, client, small_path), (_, _, big_path) in zip(calls_for(small), calls_for(big), strict=True):
        samples = {"small": [], "big": []}
        for run in range(runs + 3):  # 3 warm-up rounds
            for label, account, path in (("small", small, small_path), ("big", big, big_path)):
                begun = time.perf_counter()
                response = account[client].get(path)
                elapsed = (time.perf_counter() - begun) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{label} {path}: {response.status_code} {response.content[:500]!r}")
                if run >= 3:
                    samples[label].append(elapsed)
        small_ms, big_ms = statistics.median(samples["small"]), statistics.median(samples["big"])
        results.append({"name": name, "small_ms": small_ms, "big_ms": big_ms, "ratio": big_ms / small_ms})
        log(f"{name}: {small_ms:.1f} ms / {big_ms:.1f} ms")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
