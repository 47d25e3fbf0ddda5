"""Issue 9, points 3, 5 and 11 (last sentence): secrets only for live server keys, idempotency
records scoped to the key's mode, and a record whose request died released after its lease."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey, IdempotencyRecord
from billing.models import LedgerEntry
from conftest import BOX_AND_TITLE, client_for
from templates_app.models import Image


def test_a_live_server_key_reads_the_secrets(api, alice):
    secrets = api.get("/api/v1/account").json()["secrets"]
    assert secrets == {"callback": alice.callback_secret, "url_signing": alice.url_signing_secret}


def test_a_test_key_never_reads_the_secrets(sandbox_api, alice):
    response = sandbox_api.get("/api/v1/account")
    assert response.status_code == 200 and response.json()["secrets"] is None
    assert alice.url_signing_secret.encode() not in response.content


def test_a_browser_key_never_reads_the_secrets_even_from_its_own_origin(alice):
    _, raw = ApiKey.issue(alice, name="storefront", allowed_domains=["shop.example"])
    client = client_for(raw)
    response = client.get("/api/v1/account", HTTP_ORIGIN="https://shop.example")
    assert response.status_code == 200 and response.json()["secrets"] is None
    assert alice.callback_secret.encode() not in response.content


@pytest.fixture
def card(api):
    return api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]


def test_an_idempotency_key_from_a_test_key_is_a_new_request_for_a_live_key(api, sandbox_api, card, alice):
    body = {"template": card}
    sandboxed = sandbox_api.post("/api/v1/images", body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert sandboxed.status_code == 201 and sandboxed.json()["sandbox"] is True
    live = api.post("/api/v1/images", body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert live.status_code == 201 and "Idempotent-Replayed" not in live
    assert live.json()["sandbox"] is False and live.json()["credits_used"] == 1
    assert live.json()["id"] != sandboxed.json()["id"]
    # The live image is charged once and the live key can read it.
    assert LedgerEntry.objects.filter(kind="render", reference=live.json()["id"]).count() == 1
    assert api.get(f"/api/v1/images/{live.json()['id']}").status_code == 200
    # Each mode replays only its own answer.
    again = api.post("/api/v1/images", body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == live.json()["id"]
    replay = sandbox_api.post("/api/v1/images", body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert replay.json()["id"] == sandboxed.json()["id"]
    assert LedgerEntry.objects.filter(kind="render").count() == 1


def first_request_died(api, card, key: str, *, lease_left: timedelta) -> IdempotencyRecord:
    """A record as a request leaves it when its process is killed after claiming the key."""
    response = api.post("/api/v1/images", {"template": card}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(key=key)
    Image.objects.filter(public_id=response.json()["id"]).delete()  # as if it never got that far
    LedgerEntry.objects.filter(reference=response.json()["id"]).delete()
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        completed=False, response_body=None, response_status=None, locked_until=timezone.now() + lease_left
    )
    record.refresh_from_db()
    return record


def test_a_retry_after_the_lease_of_a_dead_request_runs_and_charges_once(api, card, alice):
    first_request_died(api, card, "crash-1", lease_left=-timedelta(seconds=1))
    charged_before = LedgerEntry.objects.filter(kind="render").count()
    retry = api.post("/api/v1/images", {"template": card}, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert LedgerEntry.objects.filter(kind="render").count() == charged_before + 1
    replay = api.post("/api/v1/images", {"template": card}, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == retry.json()["id"]
    assert LedgerEntry.objects.filter(kind="render").count() == charged_before + 1


def test_while_the_lease_holds_a_duplicate_waits_then_is_told_to_retry(api, card, settings, monkeypatch):
    import api.idempotency as idempotency

    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", 0.3)
    first_request_died(api, card, "crash-2", lease_left=timedelta(minutes=1))
    duplicate = api.post("/api/v1/images", {"template": card}, format="json", HTTP_IDEMPOTENCY_KEY="crash-2")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "idempotency_conflict"
    assert not IdempotencyRecord.objects.get(key="crash-2").completed


def test_a_dead_request_is_taken_over_by_one_retry_only(api, card):
    record = first_request_died(api, card, "crash-3", lease_left=-timedelta(seconds=1))
    from api.idempotency import _take_over_abandoned

    assert _take_over_abandoned(record, record.fingerprint) is True
    assert _take_over_abandoned(record, record.fingerprint) is False  # the lease is held again
