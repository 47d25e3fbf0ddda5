import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from api.serializers import WebhookCreatedSerializer, WebhookSerializer
from billing import ledger
from billing.models import BillingAccount, LedgerEntry
from conftest import BOX_AND_TITLE
from templates_app.models import Image
from webhooks import services as webhooks
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@pytest.fixture
def template(small_card):
    return small_card


def subscribe(api, url, events=("image.completed", "image.failed")):
    response = api.post("/api/v1/webhooks", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_subscriptions_show_their_secret_once_and_are_per_account(api, bob_api):
    created = subscribe(api, "https://hooks.example.com/imagior")
    assert created["id"].startswith("whk_") and created["secret"].startswith("whsec_")
    listed = api.get("/api/v1/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert bob_api.get("/api/v1/webhooks").json()["count"] == 0
    assert bob_api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com", "events": ["image.completed"]},
        {"url": "https://user:pw@example.com/x", "events": ["image.completed"]},
        {"url": "https://example.com/x", "events": []},
        {"url": "https://example.com/x", "events": ["image.deleted"]},
        {"url": "https://example.com/x"},
    ],
)
def test_bad_subscriptions_are_refused(api, body):
    response = api.post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_a_completed_render_is_delivered_signed_to_subscribers(
    api, template, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(api, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        image = api.post("/api/v1/images", {"template": template["id"]}, format="json").json()
    [request] = receiver.wait_for(1)
    payload = Webhook(subscription["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "image.completed" and payload["data"]["id"] == image["id"]
    assert payload["data"]["status"] == "completed" and payload["data"]["url"] == image["url"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    assert WebhookAttempt.objects.get().status_code == 200


def test_async_render_is_202_then_completes_and_calls_back_signed_with_the_account_secret(
    api, template, receiver, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/images",
            {"template": template["id"], "async": True, "callback_url": receiver.url, "modifications": {"box": "#00f"}},
            format="json",
        )
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "pending" and body["url"] is None and response["X-Credits-Remaining"] == "49"
    done = api.get(f"/api/v1/images/{body['id']}").json()
    assert done["status"] == "completed" and done["url"]
    [request] = receiver.wait_for(1)
    payload = Webhook(alice.callback_secret).verify(request["body"], request["headers"])
    assert payload["type"] == "image.completed" and payload["data"]["id"] == body["id"]
    assert payload["data"]["callback_url"] == receiver.url


def test_an_async_render_that_fails_is_refunded_and_reported(
    api, template, receiver, alice, settings, django_capture_on_commit_callbacks
):
    subscribe(api, receiver.url)
    photo_template = api.post(
        "/api/v1/templates",
        {
            **BOX_AND_TITLE,
            "elements": [{"name": "photo", "type": "image", "x": 0, "y": 0, "width": 10, "height": 10, "src": ""}],
        },
        format="json",
    ).json()
    # A remote picture that cannot be fetched: found by the worker, after the charge.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/images",
            {"template": photo_template["id"], "async": True, "modifications": {"photo": receiver.url + "/nope.png"}},
            format="json",
        )
    assert response.status_code == 202
    failed = api.get(f"/api/v1/images/{response.json()['id']}").json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "image_fetch_failed"
    assert failed["credits_used"] == 0
    kinds = list(LedgerEntry.objects.filter(reference=failed["id"]).values_list("kind", flat=True).order_by("id"))
    assert kinds == ["render", "refund"]
    # The receiver answers POSTs only, so the picture request failed (501) and only the event arrived.
    [event] = [json.loads(r["body"]) for r in receiver.wait_for(1)]
    assert event["type"] == "image.failed" and event["data"]["id"] == failed["id"]


def test_failed_deliveries_are_retried_with_backoff_and_never_follow_redirects(
    api, template, receiver, django_capture_on_commit_callbacks
):
    subscribe(api, receiver.url)
    receiver.answers = [500, 302]
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/images", {"template": template["id"]}, format="json")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert timedelta(seconds=50) < delivery.next_attempt_at - timezone.now() < timedelta(seconds=70)

    assert webhooks.dispatch_due() == 0, "not due yet"
    webhooks.dispatch_due(now=timezone.now() + timedelta(seconds=61))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert "redirects are not followed" in WebhookAttempt.objects.order_by("-id").first().error
    assert len(receiver.requests) == 2, "the redirect target was not requested"

    webhooks.dispatch_due(now=timezone.now() + timedelta(minutes=8))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert [a.status_code for a in WebhookAttempt.objects.order_by("id")] == [500, 302, 200]


def test_a_delivery_gives_up_after_the_last_retry(api, template, receiver, django_capture_on_commit_callbacks):
    subscribe(api, receiver.url)
    receiver.answers = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/images", {"template": template["id"]}, format="json")
    later = timezone.now()
    for delay in webhooks.RETRY_DELAYS:
        later += timedelta(seconds=delay + 1)
        webhooks.dispatch_due(now=later)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 6)


def test_deliveries_to_private_addresses_are_refused_in_production(
    api, template, settings, django_capture_on_commit_callbacks
):
    settings.ALLOW_PRIVATE_FETCH = False
    subscribe(api, "http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/images", {"template": template["id"]}, format="json")
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "refused" in attempt.error


def test_low_credits_reach_subscribers(api, template, alice, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(api, receiver.url, events=["credits.low"])
    ledger.set_balance(alice, balance=5)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/images", {"template": template["id"]}, format="json")
    [request] = receiver.wait_for(1)
    payload = Webhook(subscription["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "credits.low" and payload["data"]["balance"] == 4


def test_stuck_renders_are_failed_and_refunded(api, template, alice):
    response = api.post("/api/v1/images", {"template": template["id"], "async": True}, format="json")
    assert response.status_code == 202  # on_commit never ran: the task is lost, like a dead worker
    from templates_app import services

    assert services.fail_stuck_renders() == 0
    # Never claimed: a long queue is not a lost task, so only after UNCLAIMED_AFTER (1 h).
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(minutes=16)) == 0
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(minutes=61)) == 1
    image = Image.objects.get()
    assert image.status == "failed" and image.credits_used == 0
    assert BillingAccount.objects.get(user=alice).balance == 50


def test_the_documented_webhook_fields_are_exactly_the_ones_sent(api):
    created = subscribe(api, "https://hooks.example.com/imagior")
    assert set(WebhookCreatedSerializer().fields) == set(created)
    assert set(WebhookSerializer().fields) == set(api.get(f"/api/v1/webhooks/{created['id']}").json())
    assert set(WebhookSerializer().fields) == set(api.get("/api/v1/webhooks").json()["results"][0])
