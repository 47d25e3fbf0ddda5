"""Idempotency keys are scoped to (account, key mode), and a key whose request died is freed by its lease.

docs/api.md, "Idempotency".
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import IdempotencyRecord
from api import idempotency
from billing.models import BillingAccount, LedgerEntry
from conftest import assert_ledger_clean
from templates_app import services
from templates_app.elements import InvalidInput
from templates_app.models import Image


class ProcessKilled(BaseException):
    """Stands for SIGKILL mid-request: nothing in the request runs after it, not even `except Exception`."""


@pytest.fixture
def quick_wait(monkeypatch):
    """A duplicate waits a fraction of a second for the first request instead of a minute."""
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", 0.3)


def render(client, template, key, **extra):
    return client.post("/api/v1/images", {"template": template["id"], **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def renders_charged(alice) -> int:
    return LedgerEntry.objects.filter(account__user=alice, kind="render").count()


# --- (account, key mode) ------------------------------------------------------------


def test_a_key_first_sent_by_a_test_key_renders_and_charges_for_a_live_key(api, sandbox_api, small_card, alice):
    sandbox = render(sandbox_api, small_card, "order-1")
    assert sandbox.status_code == 201 and sandbox.json()["sandbox"] is True
    assert renders_charged(alice) == 0

    live = render(api, small_card, "order-1")
    assert live.status_code == 201, live.json()
    assert "Idempotent-Replayed" not in live
    body = live.json()
    assert body["sandbox"] is False and body["id"] != sandbox.json()["id"]
    assert live["X-Credits-Remaining"] == "49"
    assert renders_charged(alice) == 1
    assert BillingAccount.objects.get(user=alice).balance == 49
    assert api.get(f"/api/v1/images/{body['id']}").status_code == 200
    assert_ledger_clean()

    # Each mode replays its own answer from now on.
    again = render(api, small_card, "order-1")
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == body["id"]
    again = render(sandbox_api, small_card, "order-1")
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == sandbox.json()["id"]
    assert renders_charged(alice) == 1
    assert sorted(IdempotencyRecord.objects.values_list("sandbox", flat=True)) == [False, True]


def test_a_test_key_never_gets_a_live_answer_replayed(api, sandbox_api, small_card, alice):
    live = render(api, small_card, "order-2")
    assert live.status_code == 201 and live.json()["sandbox"] is False

    sandbox = render(sandbox_api, small_card, "order-2")
    assert sandbox.status_code == 201
    assert "Idempotent-Replayed" not in sandbox
    assert sandbox.json()["sandbox"] is True and sandbox.json()["id"] != live.json()["id"]
    assert live.json()["url"] not in sandbox.content.decode()
    assert Image.objects.filter(sandbox=True).count() == 1
    assert renders_charged(alice) == 1


def test_a_test_key_with_another_body_is_not_a_conflict_with_a_live_key(api, sandbox_api, small_card):
    assert render(api, small_card, "order-3").status_code == 201
    # Another body under the same key string is a conflict only within one mode.
    assert render(sandbox_api, small_card, "order-3", format="jpeg").status_code == 201
    conflict = render(api, small_card, "order-3", format="jpeg")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"


# --- The lease ----------------------------------------------------------------------


def die_mid_request(api, template, key, target="templates_app.services.render_image"):
    """Send a render whose process 'dies' inside `target`: the record stays in progress."""
    with mock.patch(target, side_effect=ProcessKilled), pytest.raises(ProcessKilled):
        render(api, template, key)
    record = IdempotencyRecord.objects.get(key=key)
    assert not record.completed
    return record


def expire_lease(key):
    IdempotencyRecord.objects.filter(key=key).update(locked_until=timezone.now() - timedelta(seconds=1))


def test_a_retry_after_the_lease_of_a_dead_request_renders_and_charges_once(api, small_card, alice, quick_wait):
    record = die_mid_request(api, small_card, "order-4")
    assert record.locked_until > timezone.now() + timedelta(seconds=60)  # longer than a render may take
    assert renders_charged(alice) == 0

    # While the lease is live the first request may still be running: a duplicate is a conflict.
    early = render(api, small_card, "order-4")
    assert early.status_code == 409 and early.json()["code"] == "idempotency_conflict"
    assert early["Content-Type"] == "application/problem+json"

    expire_lease("order-4")
    retry = render(api, small_card, "order-4")
    assert retry.status_code == 201, retry.json()
    assert "Idempotent-Replayed" not in retry
    assert retry["X-Credits-Remaining"] == "49"
    assert renders_charged(alice) == 1
    assert BillingAccount.objects.get(user=alice).balance == 49
    assert_ledger_clean()

    record = IdempotencyRecord.objects.get(key="order-4")
    assert record.completed and record.locked_until is None
    replay = render(api, small_card, "order-4")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == retry.json()["id"]
    assert renders_charged(alice) == 1


def test_a_request_killed_mid_render_is_refunded_by_the_sweep_and_its_retry_charged_once(api, small_card, alice):
    die_mid_request(api, small_card, "order-5", target="templates_app.services.render_claimed_image")
    assert renders_charged(alice) == 1  # charged, then the process died with the image rendering
    expire_lease("order-5")
    retry = render(api, small_card, "order-5")
    assert retry.status_code == 201 and retry.json()["status"] == "completed"

    # The stuck sweep refunds the dead render: one credit spent for one image.
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(hours=1)) == 1
    assert BillingAccount.objects.get(user=alice).balance == 49
    assert Image.objects.filter(status="completed").count() == 1
    assert_ledger_clean()


def test_a_duplicate_waiting_on_a_lease_that_runs_out_takes_over(api, small_card, alice, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", 10)
    die_mid_request(api, small_card, "order-6")
    IdempotencyRecord.objects.filter(key="order-6").update(locked_until=timezone.now() + timedelta(seconds=0.3))
    retry = render(api, small_card, "order-6")
    assert retry.status_code == 201
    assert renders_charged(alice) == 1


def test_a_dead_request_with_another_body_still_blocks_its_key(api, small_card, quick_wait):
    die_mid_request(api, small_card, "order-7")
    expire_lease("order-7")
    other = render(api, small_card, "order-7", format="jpeg")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_only_one_of_two_retries_takes_over(api, small_card):
    die_mid_request(api, small_card, "order-8")
    expire_lease("order-8")
    # Both retries read the record before either writes: the conditional UPDATE lets one through.
    first, second = IdempotencyRecord.objects.get(key="order-8"), IdempotencyRecord.objects.get(key="order-8")
    assert idempotency._take_over(first) is True
    assert idempotency._take_over(second) is False
    assert IdempotencyRecord.objects.get(key="order-8").locked_until == first.locked_until > timezone.now()


def test_a_slow_first_request_does_not_overwrite_the_retry_that_took_over(api, small_card, alice):
    real_render = services.render_image
    taken_over_until = timezone.now() + timedelta(minutes=5)

    def slow_render(**kwargs):
        # Meanwhile the lease ran out and a retry took the record over.
        IdempotencyRecord.objects.filter(key="order-9").update(locked_until=taken_over_until)
        return real_render(**kwargs)

    with mock.patch("templates_app.services.render_image", side_effect=slow_render):
        late = render(api, small_card, "order-9")
    assert late.status_code == 201  # its caller still gets its answer
    record = IdempotencyRecord.objects.get(key="order-9")
    assert not record.completed and record.locked_until == taken_over_until  # the retry's, untouched


def test_a_refused_request_lets_go_only_of_its_own_hold(api, small_card):
    def refused_after_takeover(**kwargs):
        IdempotencyRecord.objects.filter(key="order-10").update(locked_until=timezone.now() + timedelta(minutes=5))
        raise InvalidInput([{"field": "template", "code": "invalid", "message": "Refused."}])

    with mock.patch("templates_app.services.render_image", side_effect=refused_after_takeover):
        refused = render(api, small_card, "order-10")
    assert refused.status_code == 400
    assert IdempotencyRecord.objects.filter(key="order-10").exists()  # the taker's record stays


# --- Migration 0006 on existing rows -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_sorts_existing_records_by_their_stored_sandbox_flag():
    import json

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("accounts", "0005_api_key_restrictions")],
        [("accounts", "0006_idempotency_modes_and_lease")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        user = apps.get_model("accounts", "User").objects.create(email="old@example.com")
        Record = apps.get_model("accounts", "IdempotencyRecord")

        def record(key, body, completed=True):
            return Record.objects.create(
                user=user, key=key, fingerprint="f", completed=completed, response_status=201, response_body=body
            )

        record("sandbox-image", json.dumps({"id": "img_1", "sandbox": True}).encode())
        record("live-image", json.dumps({"id": "img_2", "sandbox": False}).encode())
        record("template", json.dumps({"id": "tpl_1", "name": "card"}).encode())
        record("not-json", b"\x89PNG")
        dead = record("in-progress", None, completed=False)

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        Record = executor.loader.project_state(after).apps.get_model("accounts", "IdempotencyRecord")
        modes = dict(Record.objects.values_list("key", "sandbox"))
        assert modes == {
            "sandbox-image": True,
            "live-image": False,
            "template": False,
            "not-json": False,
            "in-progress": False,
        }
        # No lease: a record still in progress when the migration ran can be taken over at once.
        assert Record.objects.get(pk=dead.pk).locked_until is None
        # The same key string may now hold one record per mode.
        Record.objects.create(user_id=user.pk, key="live-image", sandbox=True, fingerprint="f")

        # Backwards: one record per (user, key) again, the live one kept.
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        Record = executor.loader.project_state(before).apps.get_model("accounts", "IdempotencyRecord")
        assert Record.objects.filter(key="live-image").count() == 1
        assert Record.objects.count() == 5
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
