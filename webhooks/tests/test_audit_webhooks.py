"""Webhook subscriptions in the audit log (docs/workspaces.md, "Audit log"): created and deleted,
through the API and the dashboard, one event each in the owner's personal workspace."""

import pytest
from django.db import DatabaseError

from accounts.models import AuditEvent, personal_workspace
from webhooks import services
from webhooks.models import WebhookSubscription

HOOK = {"url": "https://hooks.example.com/in", "events": ["image.completed"]}


def events_of(user, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workspace=personal_workspace(user), action=action))


def test_the_api_writes_created_and_deleted_with_the_key_s_user(api, alice):
    created = api.post("/api/v1/webhooks", HOOK, format="json", REMOTE_ADDR="203.0.113.5")
    assert created.status_code == 201
    webhook_id = created.json()["id"]
    [event] = events_of(alice, "webhook.created")
    assert (event.target, event.actor, event.ip) == (webhook_id, alice, "203.0.113.5")
    assert event.details == {"url": HOOK["url"], "events": ["image.completed"], "mode": "live"}
    assert created.json()["secret"] not in str(event.details)
    assert api.delete(f"/api/v1/webhooks/{webhook_id}").status_code == 204
    [event] = events_of(alice, "webhook.deleted")
    assert (event.target, event.actor) == (webhook_id, alice)
    assert event.details["cancelled_deliveries"] == 0


def test_a_refused_subscription_writes_no_event(api, alice):
    assert api.post("/api/v1/webhooks", {"url": "ftp://x", "events": []}, format="json").status_code == 400
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()


def test_a_subscription_whose_event_fails_is_not_created(alice, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("the audit insert failed")

    monkeypatch.setattr(AuditEvent.objects, "create", fail)
    with pytest.raises(DatabaseError):
        services.create_subscription(owner=alice, **HOOK)
    assert not WebhookSubscription.objects.exists()


def test_the_dashboard_writes_created_and_deleted(alice_client, alice):
    assert alice_client.post("/dashboard/webhooks", HOOK).status_code == 200
    subscription = WebhookSubscription.objects.get(owner=alice)
    assert alice_client.post(f"/dashboard/webhooks/{subscription.public_id}/delete").status_code == 302
    [created] = events_of(alice, "webhook.created")
    [deleted] = events_of(alice, "webhook.deleted")
    assert created.target == deleted.target == subscription.public_id
    assert (created.actor, deleted.actor, deleted.ip) == (alice, alice, "127.0.0.1")


def test_the_dashboard_writes_updated_when_a_subscription_is_edited(alice_client, alice):
    alice_client.post("/dashboard/webhooks", HOOK)
    subscription = WebhookSubscription.objects.get(owner=alice)
    edited = {"url": "https://hooks.example.org/new", "events": ["image.failed"]}
    assert alice_client.post(f"/dashboard/webhooks/{subscription.public_id}/edit", edited).status_code == 302
    [updated] = events_of(alice, "webhook.updated")
    assert (updated.target, updated.actor, updated.ip) == (subscription.public_id, alice, "127.0.0.1")
    assert updated.details == {**edited, "mode": "live"}
