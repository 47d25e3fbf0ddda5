"""Issue 9, point 9: deleting a subscription cancels its pending deliveries. They are
never sent, and never signed with the account's callback secret (which signs only
a render's `callback_url` deliveries)."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from webhooks import services as webhooks
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscribe(api, url):
    response = api.post("/api/v1/webhooks", {"url": url, "events": ["image.completed"]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def failed_once(api, template, receiver, capture) -> WebhookDelivery:
    """A render whose delivery failed its first try: pending, retried in a minute."""
    receiver.answers = [500]
    with capture(execute=True):
        assert api.post("/api/v1/images", {"template": template["id"]}, format="json").status_code == 201
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("pending", 1, 1)
    return delivery


def retry_everything_due_later():
    for hours in (1, 3, 9, 24):
        webhooks.dispatch_due(now=timezone.now() + timedelta(hours=hours))


def test_deleting_a_subscription_through_the_api_cancels_its_pending_deliveries(
    api, small_card, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(api, receiver.url)
    delivery = failed_once(api, small_card, receiver, django_capture_on_commit_callbacks)
    assert api.delete(f"/api/v1/webhooks/{subscription['id']}").status_code == 204
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("cancelled", None)
    retry_everything_due_later()
    assert len(receiver.requests) == 1, "nothing is sent after the delete"
    assert WebhookAttempt.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"


def test_deleting_a_subscription_in_the_dashboard_cancels_its_pending_deliveries(
    api, alice_client, small_card, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(api, receiver.url)
    delivery = failed_once(api, small_card, receiver, django_capture_on_commit_callbacks)
    response = alice_client.post(f"/dashboard/webhooks/{subscription['id']}/delete", follow=True)
    assert response.status_code == 200 and "1 pending deliveries were cancelled" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    # Nor can "redeliver" bring it back: nothing may sign it now.
    response = alice_client.post(f"/dashboard/deliveries/{delivery.message_id}/redeliver", follow=True)
    assert "cannot be sent" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    retry_everything_due_later()
    assert len(receiver.requests) == 1


def test_a_delivery_whose_subscription_row_is_gone_is_never_sent_with_the_callback_secret(
    api, alice, small_card, receiver, django_capture_on_commit_callbacks
):
    subscribe(api, receiver.url)
    delivery = failed_once(api, small_card, receiver, django_capture_on_commit_callbacks)
    # Removed without the service (Django admin, a cascade): the delivery keeps its pending state.
    WebhookSubscription.objects.all().delete()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.subscription) == ("pending", None)
    retry_everything_due_later()
    assert len(receiver.requests) == 1, "not sent"
    for request in receiver.requests:  # and in particular never signed with the callback secret
        with pytest.raises(Exception):  # noqa: B017 (any verification failure)
            Webhook(alice.callback_secret).verify(request["body"], request["headers"])
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"


def test_callback_url_deliveries_are_still_signed_with_the_callback_secret(
    api, alice, small_card, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        body = {"template": small_card["id"], "callback_url": receiver.url}
        assert api.post("/api/v1/images", body, format="json").status_code == 201
    delivery = WebhookDelivery.objects.get()
    assert delivery.to_callback_url and delivery.status == "pending"
    webhooks.dispatch_due(now=timezone.now() + timedelta(minutes=2))
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    Webhook(alice.callback_secret).verify(receiver.requests[-1]["body"], receiver.requests[-1]["headers"])


def test_the_migration_cancels_pending_deliveries_of_deleted_subscriptions_and_keeps_callbacks(
    api, alice, small_card, receiver, django_capture_on_commit_callbacks
):
    subscribe(api, receiver.url)
    orphan = failed_once(api, small_card, receiver, django_capture_on_commit_callbacks)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        body = {"template": small_card["id"], "callback_url": receiver.url + "?cb"}
        assert api.post("/api/v1/images", body, format="json").status_code == 201
    callback = WebhookDelivery.objects.get(url=receiver.url + "?cb")
    callback_status = callback.status
    WebhookSubscription.objects.all().delete()
    # As the rows stood before the migration: no flag, no endpoint.
    WebhookDelivery.objects.update(to_callback_url=False, endpoint="")
    migration = importlib.import_module("templates_app.migrations.0007_webhook_modes_cancellation_and_limits")
    # The models as they stood at that migration (they lived in templates_app then).
    state = MigrationExecutor(connection).loader.project_state(
        ("templates_app", "0007_webhook_modes_cancellation_and_limits")
    )
    migration.sort_out_existing_deliveries(state.apps, None)
    orphan.refresh_from_db()
    callback.refresh_from_db()
    assert (orphan.status, orphan.to_callback_url) == ("cancelled", False)
    assert (callback.status, callback.to_callback_url) == (callback_status, True)
    assert set(WebhookDelivery.objects.exclude(pk=callback.pk).values_list("status", flat=True)) == {"cancelled"}
    assert callback.endpoint == orphan.endpoint == receiver.url.split("/")[2]
