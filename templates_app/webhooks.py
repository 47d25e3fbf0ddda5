"""Webhooks: subscriptions, the outbox, signed deliveries with retries.

Every event for a URL becomes a `WebhookDelivery` row in the same transaction as
the change it reports (the outbox). A task tries it as soon as that commits;
`dispatch_due` (run every minute by the scheduler) retries what failed, with
backoff of about 1 min, 5 min, 30 min, 2 h and 6 h, and picks up anything a dead
worker dropped. Each try is logged as a `WebhookAttempt`.

Deliveries are POSTs signed by the Standard Webhooks scheme (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), go out
through the SSRF-safe rules of `templates_app/fetch.py`, and never follow
redirects.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import new_webhook_secret
from templates_app import fetch
from templates_app.elements import InvalidInput
from templates_app.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

RETRY_DELAYS = [60, 300, 1800, 7200, 21600]  # seconds after the 1st, 2nd … failed try
TIMEOUT = 10.0
LEASE = timedelta(minutes=2)  # a try in progress is not picked up again for this long
MAX_SUBSCRIPTIONS = 25
EVENTS = WebhookSubscription.Event.values


def create_subscription(*, owner, url: str, events: list[str]) -> WebhookSubscription:
    """Subscribe `url` to `events`; the subscription's secret is shown to the caller once."""
    errors = []
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")) or len(url) > 2000:
        errors.append(
            {"field": "url", "code": "invalid", "message": "Must be an http(s) URL of at most 2000 characters."}
        )
    else:
        try:
            fetch.check_url(url)
        except fetch.FetchError:
            errors.append({"field": "url", "code": "invalid", "message": "Must be an http(s) URL without credentials."})
    if not isinstance(events, list) or not events or any(event not in EVENTS for event in events):
        errors.append({"field": "events", "code": "invalid", "message": f"A non-empty list of: {', '.join(EVENTS)}."})
    if WebhookSubscription.objects.filter(owner=owner).count() >= MAX_SUBSCRIPTIONS:
        errors.append({"field": "url", "code": "too_many", "message": f"At most {MAX_SUBSCRIPTIONS} subscriptions."})
    if errors:
        raise InvalidInput(errors)
    return WebhookSubscription.objects.create(
        owner=owner, url=url, events=sorted(set(events)), secret=new_webhook_secret()
    )


def emit(owner, event_type: str, data: dict, *, callback_url: str | None = None) -> list[WebhookDelivery]:
    """Queue `event_type` for the owner's subscribers (and a callback URL); sent after commit."""
    body = json.dumps(
        {"type": event_type, "created_at": timezone.now().isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
    )
    deliveries = [
        WebhookDelivery(owner=owner, subscription=sub, url=sub.url, event_type=event_type, body=body)
        for sub in WebhookSubscription.objects.filter(owner=owner)
        if event_type in sub.events
    ]
    if callback_url:
        deliveries.append(WebhookDelivery(owner=owner, url=callback_url, event_type=event_type, body=body))
    if not deliveries:
        return []
    now = timezone.now()
    for delivery in deliveries:
        delivery.next_attempt_at = now
    created = WebhookDelivery.objects.bulk_create(deliveries)

    def send_soon():
        from templates_app.tasks import deliver_webhook  # tasks import this module

        for delivery in created:
            deliver_webhook.enqueue(delivery_id=delivery.pk)

    transaction.on_commit(send_soon)
    return created


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature header value for this message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def secret_for(delivery: WebhookDelivery) -> str:
    return delivery.subscription.secret if delivery.subscription else delivery.owner.callback_secret


def attempt(delivery_id: int, *, now: datetime | None = None) -> bool:
    """Try one delivery if it is due and not being tried elsewhere; returns True when it was sent."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("subscription", "owner").get(pk=delivery_id)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret_for(delivery), delivery.message_id, timestamp, delivery.body),
    }
    started = time.perf_counter()
    status_code, error, answer = None, "", ""
    try:
        result = fetch.post(delivery.url, delivery.body.encode(), headers, timeout=TIMEOUT)
        status_code, answer = result.status, result.body
    except fetch.FetchError as exc:
        error = (exc.reason or "failed")[:255]
    duration = round((time.perf_counter() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not succeeded:
        error = f"HTTP {status_code}" + (" (redirects are not followed)" if 300 <= status_code < 400 else "")
    WebhookAttempt.objects.create(
        delivery=delivery, status_code=status_code, duration_ms=duration, error=error, response_body=answer[:1024]
    )
    tries = delivery.attempts + 1
    if succeeded:
        status, next_at = WebhookDelivery.Status.SUCCEEDED, None
    elif tries > len(RETRY_DELAYS):
        status, next_at = WebhookDelivery.Status.FAILED, None
    else:
        status, next_at = WebhookDelivery.Status.PENDING, now + timedelta(seconds=RETRY_DELAYS[tries - 1])
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=tries, status=status, next_attempt_at=next_at)
    if not succeeded:
        logger.info("Webhook %s to %s failed (try %d): %s", delivery.message_id, delivery.url, tries, error)
    return succeeded


def dispatch_due(*, now: datetime | None = None) -> int:
    """Try every pending delivery whose time has come; returns how many were tried."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    for delivery_id in ids:
        attempt(delivery_id, now=now)
    return len(ids)


def redeliver(delivery: WebhookDelivery) -> None:
    """Send a delivery again now, whatever became of it (the dashboard's "redeliver")."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    from templates_app.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id=delivery.pk))


def announce_low_credits(sender, account, **kwargs) -> None:
    """billing's `credits_low` signal, as a `credits.low` event for subscribers."""
    emit(
        account.user,
        "credits.low",
        {
            "balance": account.balance,
            "plan": account.plan.slug,
            "monthly_credits": account.plan.monthly_credits,
            "period_ends_at": account.period_ends_at.isoformat().replace("+00:00", "Z"),
        },
    )


def send_test_event(subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a `test.event` for this one subscription (the dashboard's "send a test event")."""
    body = json.dumps(
        {
            "type": "test.event",
            "created_at": timezone.now().isoformat().replace("+00:00", "Z"),
            "data": {"subscription": subscription.public_id, "message": "A test event from the Imagior dashboard."},
        },
        separators=(",", ":"),
    )
    delivery = WebhookDelivery.objects.create(
        owner=subscription.owner,
        subscription=subscription,
        url=subscription.url,
        event_type="test.event",
        body=body,
        next_attempt_at=timezone.now(),
    )
    from templates_app.tasks import deliver_webhook  # tasks import this module

    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id=delivery.pk))
    return delivery
