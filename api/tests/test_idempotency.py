from unittest import mock

from billing.models import BillingAccount, LedgerEntry
from conftest import BOX_AND_TITLE
from templates_app.models import DesignTemplate, Image


def render(api, template, key, **extra):
    return api.post("/api/v1/images", {"template": template["id"], **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_first_answer_and_charges_once(api, small_card, alice):
    first = render(api, small_card, "order-42")
    second = render(api, small_card, "order-42")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and second["X-Credits-Remaining"] == "49"
    assert Image.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="render").count() == 1
    assert BillingAccount.objects.get(user=alice).balance == 49


def test_the_same_key_with_another_body_is_409(api, small_card):
    render(api, small_card, "order-43")
    conflict = render(api, small_card, "order-43", format="jpeg")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert Image.objects.count() == 1


def test_keys_belong_to_their_account(api, bob_api, small_card):
    render(api, small_card, "shared-key")
    theirs = bob_api.post("/api/v1/templates", BOX_AND_TITLE, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert DesignTemplate.objects.count() == 2


def test_refused_requests_are_not_stored_so_a_fixed_retry_works(api, small_card):
    refused = render(api, small_card, "retry-me", modifications={"nope": "x"})
    assert refused.status_code == 400
    fixed = render(api, small_card, "retry-me", modifications={"box": "#00ff00"})
    assert fixed.status_code == 201


def test_a_bad_key_is_a_validation_error(api, small_card):
    response = render(api, small_card, "x" * 300)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_key_let_go_by_a_refused_request_in_between_is_claimed_again(api, small_card):
    # The race Schemathesis found: our INSERT loses to a concurrent request with the
    # same key, which is then refused (4xx) and deletes its claim before we read it.
    from django.db import IntegrityError

    from accounts.models import IdempotencyRecord

    create = IdempotencyRecord.objects.create
    calls = []

    def lose_the_first_race(**fields):
        calls.append(fields["key"])
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed")
        return create(**fields)

    with mock.patch.object(IdempotencyRecord.objects, "create", side_effect=lose_the_first_race):
        response = render(api, small_card, "raced")
    assert response.status_code == 201
    assert calls == ["raced", "raced"]
    assert IdempotencyRecord.objects.get(key="raced").completed


def test_records_are_kept_a_day_and_pruned_after_two(api, small_card):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import IdempotencyRecord
    from accounts.tasks import prune_idempotency_records

    render(api, small_card, "old-key")
    render(api, small_card, "new-key")
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=timezone.now() - timedelta(days=3))
    assert prune_idempotency_records.call() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-key"]
