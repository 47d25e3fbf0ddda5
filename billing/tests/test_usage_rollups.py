"""Daily usage rollups (docs/billing.md, "Where usage figures come from"): every figure of
/api/v1/usage and the dashboard's usage pages is read from UsageDay rows, written with the
request, image, failure or ledger row they count."""

import importlib
import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import ledger, usage
from billing.models import BillingAccount, LedgerEntry, RequestLog, UsageDay
from conftest import balance
from templates_app import render_runner, rendering
from templates_app.models import Image

CARD = {
    "name": "Card",
    "width": 100,
    "height": 60,
    "elements": [{"name": "box", "type": "rect", "x": 0, "y": 0, "width": 50, "height": 50, "fill": "#ff0000"}],
}
COUNTS = ("requests", "errors", "images", "sandbox_images", "failed", "credits_used")


def rollups(user) -> dict:
    """{(day, key, template): (requests, errors, images, sandbox_images, failed, credits_used)}."""
    return {
        (row.day, row.key, row.template): tuple(getattr(row, name) for name in COUNTS)
        for row in UsageDay.objects.filter(user=user)
    }


def embedded(content: str, script_id: str):
    return json.loads(re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', content).group(1))


@pytest.fixture
def template(api):
    return api.post("/api/v1/templates", CARD, format="json").json()["id"]


def test_requests_errors_and_images_are_counted_per_key_and_day(
    api, sandbox_api, alice, alice_key, alice_test_key, template, monkeypatch
):
    live, test = alice_key[0].public_id, alice_test_key[0].public_id
    today = timezone.now().date()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(days=1))
    assert api.post("/api/v1/images", {"template": template}, format="json").status_code == 201
    monkeypatch.setattr(timezone, "now", real_now)
    for _ in range(2):
        assert api.post("/api/v1/images", {"template": template}, format="json").status_code == 201
    assert sandbox_api.post("/api/v1/images", {"template": template}, format="json").status_code == 201
    assert api.get("/api/v1/images/img_missing").status_code == 404

    yesterday = today - timedelta(days=1)
    # The template was created today (request 1); yesterday's render is yesterday's.
    assert rollups(alice) == {
        (yesterday, live, ""): (1, 0, 0, 0, 0, 0),
        (yesterday, live, template): (0, 0, 1, 0, 0, 1),
        (today, live, ""): (4, 1, 0, 0, 0, 0),
        (today, live, template): (0, 0, 2, 0, 0, 2),
        (today, test, ""): (1, 0, 0, 0, 0, 0),
        (today, test, template): (0, 0, 1, 1, 0, 0),  # sandbox: no credits
    }
    figures = api.get("/api/v1/usage?days=2").json()
    assert [(day["requests"], day["images"], day["credits_used"], day["errors"]) for day in figures["days"]] == [
        (1, 1, 1, 0),
        (5, 3, 2, 1),  # both keys' requests
    ]
    assert balance(alice) == 50 - 3

    by_key = embedded(logged_in_usage(alice), "usage-keys")
    assert [(row["key"], row["api_key__name"], row["requests"], row["images"], row["errors"]) for row in by_key] == [
        (live, "alice live", 6, 3, 1),
        (test, "alice test", 1, 1, 0),
    ]


def logged_in_usage(user, days: int = 7) -> str:
    from conftest import logged_in

    return logged_in(user).get(f"/dashboard/usage?days={days}").content.decode()


def test_a_failed_render_counts_as_failed_and_its_refund_nets_the_credits_to_zero(
    api, alice, alice_key, template, monkeypatch
):
    def broken(*args, **kwargs):
        raise rendering.RenderError("The render failed.")

    monkeypatch.setattr(render_runner, "run_render", broken)
    response = api.post("/api/v1/images", {"template": template}, format="json")
    assert response.status_code >= 400
    image = Image.objects.get()
    assert image.status == "failed"
    assert list(LedgerEntry.objects.filter(reference=image.public_id).values_list("kind", "amount")) == [
        ("refund", 1),
        ("render", -1),
    ]
    today, key = timezone.now().date(), alice_key[0].public_id
    assert rollups(alice) == {
        (today, key, ""): (2, 1, 0, 0, 0, 0),
        (today, key, template): (0, 0, 1, 0, 1, 0),
    }
    totals = api.get("/api/v1/usage?days=1").json()["totals"]
    assert totals == {"requests": 2, "images": 1, "credits_used": 0, "errors": 1}
    assert ledger.rollup_drift(BillingAccount.objects.get(user=alice)) == 0
    by_template = embedded(logged_in_usage(alice), "usage-templates")
    assert by_template == [
        {"template": template, "name": "Card", "images": 1, "sandbox_images": 0, "failed": 1, "credits_used": 0}
    ]


def test_a_dashboard_render_counts_with_no_key(api, alice, alice_client, template):
    original = api.post("/api/v1/images", {"template": template}, format="json").json()["id"]
    response = alice_client.post(
        f"/dashboard/images/{original}/rerender", {"modifications": "{}", "format": "png"}, follow=False
    )
    assert response.status_code == 302
    assert Image.objects.count() == 2
    today = timezone.now().date()
    assert rollups(alice)[(today, "", template)] == (0, 0, 1, 0, 0, 1)
    assert not UsageDay.objects.filter(user=alice, key="", template="").exists()
    by_key = embedded(logged_in_usage(alice), "usage-keys")
    dashboard = [row for row in by_key if row["key"] == ""]
    assert dashboard == [
        {
            "key": "",
            "api_key__public_id": None,
            "api_key__name": "Dashboard",
            "api_key__prefix": "",
            "requests": 0,
            "errors": 0,
            "images": 1,
        }
    ]
    assert api.get("/api/v1/usage?days=1").json()["totals"]["images"] == 2


def test_usage_figures_never_read_the_request_log_or_the_ledger(api, alice, alice_client, template):
    api.post("/api/v1/images", {"template": template}, format="json")
    tables = {RequestLog._meta.db_table, LedgerEntry._meta.db_table}
    assert tables == {"billing_requestlog", "billing_ledgerentry"}
    for call in (
        lambda: api.get("/api/v1/usage?days=30"),
        lambda: alice_client.get("/dashboard/usage?days=30"),
        lambda: alice_client.get("/dashboard/usage.csv?days=30"),
        lambda: alice_client.get("/dashboard/"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert call().status_code == 200
        for query in queries:
            sql = query["sql"]
            if "billing_requestlog" in sql:
                assert sql.startswith("INSERT INTO"), sql  # the middleware logging this very request
            assert "billing_ledgerentry" not in sql, sql


def test_a_missing_row_created_concurrently_is_updated_instead(alice, monkeypatch):
    today = timezone.now().date()
    real_filter = UsageDay.objects.filter

    def racing_filter(*args, **kwargs):
        rows = real_filter(*args, **kwargs)
        real_update, raced = rows.update, []

        def update(**changes):
            if not raced:  # our UPDATE found nothing; another request inserts the row right after
                raced.append(True)
                UsageDay.objects.create(user=alice, day=today, key="key_x", template="", requests=5)
                return 0
            return real_update(**changes)

        rows.update = update
        return rows

    monkeypatch.setattr(UsageDay.objects, "filter", racing_filter)
    usage.add_usage(alice, key="key_x", requests=1, errors=1)
    monkeypatch.undo()
    assert rollups(alice) == {(today, "key_x", ""): (6, 1, 0, 0, 0, 0)}


def test_check_ledger_finds_rollups_that_drifted(alice):
    ledger.charge_credits(alice, cost=2, reference="img_a", usage_template="tpl_a")
    ledger.refund_credits(alice, reference="img_a", usage_template="tpl_a")
    ledger.charge_credits(alice, cost=1, reference="img_b", usage_template="tpl_a")
    assert ledger.rollup_drift(BillingAccount.objects.get(user=alice)) == 0
    UsageDay.objects.filter(user=alice).update(credits_used=5)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert "credits in the daily usage rollups are off by +4" in out.getvalue()


def backfill() -> None:
    """Run both data migrations' backfills over what is in the database now."""
    billing = importlib.import_module("billing.migrations.0008_usage_days")
    images = importlib.import_module("templates_app.migrations.0009_usage_days_backfill")
    billing.backfill_requests_and_credits(apps, None)
    images.backfill_images(apps, None)


def test_the_backfill_gives_the_figures_the_live_rollups_give(
    api, sandbox_api, alice, alice_client, template, monkeypatch
):
    from templates_app import services

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(days=3))  # older history
    for _ in range(3):
        api.post("/api/v1/images", {"template": template}, format="json")
    sandbox_api.post("/api/v1/images", {"template": template}, format="json")
    api.get("/api/v1/images/img_missing")
    monkeypatch.setattr(timezone, "now", real_now)
    second = api.post("/api/v1/templates", {**CARD, "name": "Other"}, format="json").json()["id"]

    def broken(*args, **kwargs):
        raise rendering.RenderError("The render failed.")

    with monkeypatch.context() as patched:
        patched.setattr(render_runner, "run_render", broken)
        api.post("/api/v1/images", {"template": second}, format="json")  # failed and refunded
    services.render_image(owner=alice, template_id=second)  # the dashboard's
    api.delete(f"/api/v1/templates/{second}")  # its images keep its id

    def figures():
        since = timezone.now().date() - timedelta(days=6)
        return (
            usage.daily_usage(alice, days=7),
            usage.usage_by_key(alice, since_day=since),
            services.usage_by_template(alice, since_day=since),
        )

    live = figures()
    assert live[0]["totals"] == {"requests": 9, "images": 6, "credits_used": 4, "errors": 2}
    assert [day["images"] for day in live[0]["days"]] == [0, 0, 0, 4, 0, 0, 2]
    assert [row["name"] for row in live[2]] == ["Card", "(deleted template)"]
    rows = rollups(alice)
    UsageDay.objects.all().delete()
    backfill()
    assert rollups(alice) == rows
    assert figures() == live
    assert ledger.rollup_drift(BillingAccount.objects.get(user=alice)) == 0


def test_an_idempotent_replay_creates_no_image_and_counts_none(api, alice, alice_key, template):
    for _ in range(2):
        response = api.post("/api/v1/images", {"template": template}, format="json", HTTP_IDEMPOTENCY_KEY="once")
        assert response.status_code == 201
    assert Image.objects.count() == 1
    row = UsageDay.objects.get(user=alice, key=alice_key[0].public_id, template=template)
    assert (row.images, row.credits_used) == (1, 1)
