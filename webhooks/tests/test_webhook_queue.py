"""Issue 9, point 8 and the auto-disable rule: webhook deliveries run on their own task
queue, at most WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT at a time per account and endpoint;
a subscription whose every try has failed for 3 days is disabled and its owner e-mailed.
(tests/test_e2e_webhook_queues.py does the same with real worker processes.)"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import BOX_AND_TITLE
from lib import fetch
from webhooks import services as webhooks
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

QUEUES = ["default", "renders", "webhooks"]


def subscribe(api, url, events=("image.completed",)) -> dict:
    response = api.post("/api/v1/webhooks", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def render(api, template, **extra) -> dict:
    response = api.post("/api/v1/images", {"template": template["id"], **extra}, format="json")
    assert response.status_code in (201, 202), response.content
    return response.json()


# --- Queues ---------------------------------------------------------------------


def test_renders_deliveries_and_the_rest_are_queued_on_separate_queues(
    api, small_card, settings, django_capture_on_commit_callbacks
):
    assert settings.TASKS["default"]["QUEUES"] == QUEUES
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    subscribe(api, "https://hooks.example.com/in")
    with django_capture_on_commit_callbacks(execute=True):
        api.patch("/api/v1/templates/" + small_card["id"], {"background": "#000000"}, format="json")  # thumbnail
        render(api, small_card, **{"async": True})  # a render for the worker
        render(api, small_card)  # rendered here; its delivery goes to the worker
    call_command("run_scheduler", once=True)  # retries, sweeps, renewals
    queued = set(DBTaskResult.objects.values_list("task_path", "queue_name"))
    assert {
        ("templates_app.tasks.refresh_thumbnail", "default"),
        ("templates_app.tasks.render_pending_image", "renders"),
        ("webhooks.tasks.deliver_webhook", "webhooks"),
        ("webhooks.tasks.dispatch_webhooks", "webhooks"),
        ("templates_app.tasks.fail_stuck_renders", "default"),
        ("billing.tasks.renew_periods", "default"),
    } <= queued
    assert {queue for path, queue in queued if "webhook" in path} == {"webhooks"}
    assert {queue for path, queue in queued if "webhook" not in path and "render_pending" not in path} == {"default"}


# --- The in-flight cap ----------------------------------------------------------


def nested_senders(monkeypatch, deliveries: list[WebhookDelivery]) -> list[str]:
    """Stand-in for the network: while one delivery is being sent, the next one is tried,
    as another worker would. Returns the webhook-ids that reached the network, in order."""
    sent = []
    queue = [d.pk for d in deliveries[1:]]

    def slow_post(url, body, headers, *, timeout):
        sent.append(headers["webhook-id"])
        if queue:
            webhooks.attempt(queue.pop(0))  # another worker, while this send waits for its answer
        return fetch.PostResult(status=200, body="ok")

    monkeypatch.setattr(fetch, "post", slow_post)
    return sent


@pytest.mark.parametrize("cap", [1, 2])
def test_over_the_cap_a_delivery_to_a_busy_endpoint_is_deferred_not_sent_nor_dropped(
    api, small_card, settings, monkeypatch, cap
):
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = cap
    subscribe(api, "https://hooks.example.com/in")
    for _ in range(cap + 1):
        render(api, small_card)  # not committed: the deliveries wait in the outbox
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    sent = nested_senders(monkeypatch, deliveries)
    before = timezone.now()
    assert webhooks.attempt(deliveries[0].pk) is True
    assert sent == [d.message_id for d in deliveries[:cap]], "the last one waited"
    last = WebhookDelivery.objects.get(pk=deliveries[-1].pk)
    assert (last.status, last.attempts, last.sending_until) == ("pending", 0, None)
    assert before + timedelta(seconds=1) < last.next_attempt_at < timezone.now() + timedelta(seconds=30)
    assert not WebhookAttempt.objects.filter(delivery=last).exists(), "waiting is not a try"
    assert set(WebhookDelivery.objects.exclude(pk=last.pk).values_list("status", flat=True)) == {"succeeded"}
    # Once the endpoint is free it goes out.
    webhooks.dispatch_due(now=last.next_attempt_at)
    last.refresh_from_db()
    assert (last.status, last.attempts) == ("succeeded", 1)
    assert WebhookDelivery.objects.filter(sending_until__isnull=False).count() == 0


def test_the_cap_is_per_account_and_endpoint_host(api, bob_api, small_card, settings, monkeypatch):
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 1
    subscribe(api, "https://hooks.example.com/in")
    subscribe(api, "https://other.example.com/in")
    subscribe(bob_api, "https://hooks.example.com/in")
    bobs_card = bob_api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
    render(api, small_card)
    render(bob_api, bobs_card)
    render(api, small_card)

    def delivery(owner, host, nth=0):
        return WebhookDelivery.objects.filter(owner__email=owner, endpoint=host).order_by("id")[nth]

    alices_first = delivery("alice@example.com", "hooks.example.com")
    chain = [
        alices_first,
        delivery("alice@example.com", "other.example.com"),
        delivery("bob@example.com", "hooks.example.com"),
        delivery("alice@example.com", "hooks.example.com", 1),
    ]
    sent = nested_senders(monkeypatch, chain)
    webhooks.attempt(alices_first.pk)
    assert sent == [d.message_id for d in chain[:3]], "another host and another account are not held up"
    waiting = WebhookDelivery.objects.get(pk=chain[3].pk)
    assert (waiting.status, waiting.attempts) == ("pending", 0), "alice's second one to the same host waited"


# --- Disabled after 3 days of failures -------------------------------------------


def fail_everything_due(at):
    webhooks.dispatch_due(now=at)


def test_a_subscription_failing_every_try_for_3_days_is_disabled_and_its_owner_emailed_once(
    api, alice_client, small_card, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = subscribe(api, receiver.url)
    receiver.answers = [500] * 100
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)  # tried at once: fails
    row = WebhookSubscription.objects.get()
    assert row.failing_since is not None and row.disabled_at is None
    fail_everything_due(start + timedelta(days=1))
    fail_everything_due(start + timedelta(days=2, hours=23))
    assert api.get(f"/api/v1/webhooks/{subscription['id']}").json()["disabled_at"] is None
    assert mailoutbox == []

    # A newer event, still failing when the endpoint has failed for 3 days.
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)
    tries = len(receiver.requests)
    fail_everything_due(start + timedelta(days=3, minutes=1))
    assert len(receiver.requests) == tries + 1
    body = api.get(f"/api/v1/webhooks/{subscription['id']}").json()
    assert body["disabled_at"] is not None
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert receiver.url in mailoutbox[0].subject and "re-enable" in mailoutbox[0].body
    assert "/dashboard/webhooks" in mailoutbox[0].body
    # Its pending retries are cancelled, and it gets no new deliveries.
    assert not WebhookDelivery.objects.filter(status="pending").exists()
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)
    assert WebhookDelivery.objects.count() == 2
    fail_everything_due(start + timedelta(days=4))
    assert len(receiver.requests) == tries + 1 and len(mailoutbox) == 1, "nothing more sent, e-mailed once"

    # The dashboard shows it and re-enables it; then it hears events again.
    page = alice_client.get("/dashboard/webhooks").content.decode()
    assert "disabled" in page and f"/dashboard/webhooks/{subscription['id']}/enable" in page
    assert alice_client.post(f"/dashboard/webhooks/{subscription['id']}/enable").status_code == 302
    assert api.get(f"/api/v1/webhooks/{subscription['id']}").json()["disabled_at"] is None
    receiver.answers = []
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 1


def test_a_success_restarts_the_clock(api, small_card, receiver, mailoutbox, django_capture_on_commit_callbacks):
    subscription = subscribe(api, receiver.url)
    start = timezone.now()
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)  # fails
    fail_everything_due(start + timedelta(days=2))  # its retry succeeds
    assert WebhookSubscription.objects.get().failing_since is None
    receiver.answers = [500] * 10
    render(api, small_card)  # in the outbox, first tried below
    fail_everything_due(start + timedelta(days=2, hours=1))  # fails: a new streak starts here
    fail_everything_due(start + timedelta(days=3, minutes=1))  # its retry fails too, 3 days after the first failure
    assert len(receiver.requests) == 4
    assert api.get(f"/api/v1/webhooks/{subscription['id']}").json()["disabled_at"] is None
    assert mailoutbox == []


def test_a_disabled_subscription_cannot_be_sent_a_test_event_or_redelivered(
    api, alice_client, small_card, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(api, receiver.url)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        render(api, small_card)
    delivery = WebhookDelivery.objects.get()
    WebhookSubscription.objects.update(disabled_at=timezone.now())
    # A retry that was already queued is cancelled when its time comes.
    fail_everything_due(timezone.now() + timedelta(minutes=2))
    delivery.refresh_from_db()
    assert delivery.status == "cancelled" and len(receiver.requests) == 1
    response = alice_client.post(f"/dashboard/webhooks/{subscription['id']}/test", follow=True)
    assert "re-enable it first" in response.content.decode()
    response = alice_client.post(f"/dashboard/deliveries/{delivery.message_id}/redeliver", follow=True)
    assert "cannot be sent" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1
