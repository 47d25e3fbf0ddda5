"""Webhooks: subscriptions, the outbox, signed deliveries with retries.

Every event for a URL becomes a `WebhookDelivery` row in the same transaction as
the change it reports (the outbox). A task tries it as soon as that commits;
`dispatch_due` (run every minute by the scheduler) retries what failed, with
backoff of about 1 min, 5 min, 30 min, 2 h and 6 h, and picks up anything a dead
worker dropped. Each try is logged as a `WebhookAttempt`.

Deliveries are POSTs signed by the Standard Webhooks scheme (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), go out
through the SSRF-safe rules of `lib/fetch.py`, and never follow
redirects. They run on their own task queue ("webhooks"), at most
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT at a time per account and endpoint host.

A subscription hears only events of its own mode (live or test). Deleting or
disabling one cancels its pending deliveries; a delivery is signed with the
account's callback secret only when it is a render's `callback_url`. A
subscription whose every try has failed for 3 days is disabled and its owner
e-mailed (docs/api.md, webhooks).
"""

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts import audit
from accounts.models import new_webhook_secret
from lib import fetch
from lib.errors import InvalidInput
from lib.timestamps import iso_z, now_iso_z
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription, describe_failure

logger = logging.getLogger(__name__)

RETRY_DELAYS = [60, 300, 1800, 7200, 21600]  # seconds after the 1st, 2nd … failed try
TIMEOUT = 10.0
LEASE = timedelta(minutes=2)  # a try in progress is not picked up again for this long
DEFER = timedelta(seconds=2)  # over its endpoint's in-flight cap, a delivery waits this long (then a retry pass)
DISABLE_AFTER = timedelta(days=3)  # of nothing but failed tries
MAX_SUBSCRIPTIONS = 25  # per account and mode
EVENTS = WebhookSubscription.Event.values


def endpoint_of(url: str) -> str:
    """The host (and port, when given) a delivery goes to: the unit of the in-flight cap."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return (f"{host}:{port}" if port else host)[:270]


def get_subscription_for(owner, public_id: str, *, api_key=None) -> WebhookSubscription:
    """The owner's subscription with this id, for the API (only its key's mode) and the
    dashboard (either mode); Http404 for anything else, another account's included."""
    subscriptions = (
        WebhookSubscription.objects.for_key(api_key)
        if api_key is not None
        else WebhookSubscription.objects.filter(owner=owner)
    )
    return get_object_or_404(subscriptions, public_id=public_id)


def get_delivery_for(owner, message_id: str) -> WebhookDelivery:
    """The owner's delivery with this message id; Http404 for anything else."""
    return get_object_or_404(WebhookDelivery.objects.select_related("subscription"), owner=owner, message_id=message_id)


def create_subscription(
    *,
    owner,
    url: str,
    events: list[str],
    mode: str = "live",
    templates: list[str] = (),
    actor=None,
    request=None,
) -> WebhookSubscription:
    """Subscribe `url` to `events` of `mode` (the creating key's), about images of `templates` only when
    given (the creating key's allow-list); the secret is shown to the caller once.

    Writes a webhook.created audit event by `actor` (default the owner) with it."""
    errors = _target_errors(url, events)
    if mode not in WebhookSubscription.Mode.values:
        errors.append({"field": "mode", "code": "invalid", "message": "Must be live or test."})
    elif WebhookSubscription.objects.filter(owner=owner, mode=mode).count() >= MAX_SUBSCRIPTIONS:
        errors.append(
            {"field": "url", "code": "too_many", "message": f"At most {MAX_SUBSCRIPTIONS} {mode} subscriptions."}
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            owner=owner,
            url=url,
            events=sorted(set(events)),
            mode=mode,
            templates=list(templates),
            secret=new_webhook_secret(),
        )
        audit.record_for_owner(
            owner, actor or owner, "webhook.created", subscription.public_id, _audit_details(subscription), request
        )
    return subscription


def _audit_details(subscription: WebhookSubscription) -> dict:
    return {"url": subscription.url, "events": subscription.events, "mode": subscription.mode}


def update_subscription(
    subscription: WebhookSubscription, *, url: str, events: list[str], actor=None, request=None
) -> WebhookSubscription:
    """Point a subscription at another URL or other events, checked like `create_subscription`.

    Its pending deliveries (retries included) go to the new URL, and a new URL restarts the
    failure clock; its mode, secret and state (a disabled one stays disabled) do not change.
    Writes a webhook.updated audit event by `actor` (default the owner) with it.
    """
    errors = _target_errors(url, events)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        fields = ["url", "events"]
        if url != subscription.url:
            WebhookDelivery.objects.filter(subscription=subscription, status=WebhookDelivery.Status.PENDING).update(
                url=url, endpoint=endpoint_of(url)
            )
            subscription.failing_since = None
            fields.append("failing_since")
        subscription.url, subscription.events = url, sorted(set(events))
        subscription.save(update_fields=fields)
        owner = subscription.owner
        audit.record_for_owner(
            owner, actor or owner, "webhook.updated", subscription.public_id, _audit_details(subscription), request
        )
    return subscription


def _target_errors(url, events) -> list[dict]:
    """What is wrong with a subscription's URL and events (the API answers these messages)."""
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
    return errors


def _cancel_pending(subscription: WebhookSubscription) -> int:
    return WebhookDelivery.objects.filter(subscription=subscription, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.CANCELLED, next_attempt_at=None
    )


def delete_subscription(subscription: WebhookSubscription, *, actor=None, request=None) -> int:
    """Unsubscribe: its pending deliveries are cancelled, never sent. Returns how many were cancelled.

    Writes a webhook.deleted audit event by `actor` (default the owner) with it."""
    with transaction.atomic():
        public_id, owner = subscription.public_id, subscription.owner
        cancelled = _cancel_pending(subscription)
        subscription.delete()
        details = {**_audit_details(subscription), "cancelled_deliveries": cancelled}
        audit.record_for_owner(owner, actor or owner, "webhook.deleted", public_id, details, request)
    return cancelled


def enable_subscription(subscription: WebhookSubscription) -> None:
    """Turn a disabled subscription back on (the dashboard's "re-enable"); its failure clock restarts."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(disabled_at=None, failing_since=None)
    subscription.disabled_at = subscription.failing_since = None


def _disable_if_failing_too_long(subscription: WebhookSubscription, *, now: datetime, error: str) -> bool:
    """Disable a subscription failing since DISABLE_AFTER ago; the one caller that does e-mails the owner."""
    won = WebhookSubscription.objects.filter(
        pk=subscription.pk, disabled_at__isnull=True, failing_since__lte=now - DISABLE_AFTER
    ).update(disabled_at=now)
    if not won:
        return False
    cancelled = _cancel_pending(subscription)
    subscription.refresh_from_db(fields=["disabled_at", "failing_since"])
    logger.warning(
        "Webhook subscription %s disabled: failing since %s", subscription.public_id, subscription.failing_since
    )
    page = settings.PUBLIC_BASE_URL + reverse("dash-webhooks")
    try:
        send_mail(
            subject=f"Imagior stopped sending webhooks to {subscription.url}",
            message=(
                f"Every delivery to your {subscription.mode} webhook endpoint {subscription.url} "
                f"({subscription.public_id}) has failed since {subscription.failing_since:%Y-%m-%d %H:%M} UTC "
                f"(the last one: {error}), so we disabled it on {now:%Y-%m-%d %H:%M} UTC.\n\n"
                f"It receives no events until you re-enable it; {cancelled} pending deliveries to it were "
                f"cancelled. Fix the endpoint, then re-enable it on the Webhooks page: {page}"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[subscription.owner.email],
        )
    except Exception:  # the subscription stays disabled either way; the page says so
        logger.exception("Could not e-mail the owner of disabled subscription %s", subscription.public_id)
    return True


def emit(
    owner, event_type: str, data: dict, *, sandbox: bool, callback_url: str | None = None
) -> list[WebhookDelivery]:
    """Queue `event_type` for the owner's enabled subscribers of that mode (and a callback URL); sent after commit."""
    body = json.dumps(
        {"type": event_type, "created_at": now_iso_z(), "data": data},
        separators=(",", ":"),
    )
    mode = WebhookSubscription.Mode.TEST if sandbox else WebhookSubscription.Mode.LIVE
    subscribers = WebhookSubscription.objects.filter(owner=owner, mode=mode).hearing(event_type, data.get("template"))
    deliveries = [
        WebhookDelivery(owner=owner, subscription=sub, url=sub.url, event_type=event_type, body=body)
        for sub in subscribers
    ]
    if callback_url:
        deliveries.append(
            WebhookDelivery(owner=owner, url=callback_url, to_callback_url=True, event_type=event_type, body=body)
        )
    if not deliveries:
        return []
    now = timezone.now()
    for delivery in deliveries:
        delivery.next_attempt_at = now
        delivery.endpoint = endpoint_of(delivery.url)
    created = WebhookDelivery.objects.bulk_create(deliveries)

    def send_soon():
        from webhooks.tasks import deliver_webhook  # tasks import this module

        for delivery in created:
            deliver_webhook.enqueue(delivery_id=delivery.pk)

    transaction.on_commit(send_soon)
    return created


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature header value for this message (the standardwebhooks package)."""
    return Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body)


def secret_for(delivery: WebhookDelivery) -> str | None:
    """The key that signs this delivery; None when nothing may sign it (its subscription is gone)."""
    if delivery.to_callback_url:
        return delivery.owner.callback_secret
    if delivery.subscription is not None:
        return delivery.subscription.secret
    return None


def _in_flight_elsewhere(delivery: WebhookDelivery, now: datetime) -> int:
    """Deliveries of the same account to the same endpoint that another worker is sending now."""
    return (
        WebhookDelivery.objects.filter(owner_id=delivery.owner_id, endpoint=delivery.endpoint, sending_until__gt=now)
        .exclude(pk=delivery.pk)
        .count()
    )


def attempt(delivery_id: int, *, now: datetime | None = None) -> bool:
    """Try one delivery if it is due and not being tried elsewhere; returns True when it was sent.

    A delivery that may no longer be sent (its subscription deleted or disabled) is
    cancelled instead; one whose endpoint already has WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
    tries in flight waits DEFER and is not counted as a try.
    """
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
    # The claim comes before the count, so two workers racing for the last slot can both
    # step back but never both go: the cap holds on SQLite and PostgreSQL alike.
    claimed = pending.filter(next_attempt_at__lte=now).update(next_attempt_at=now + LEASE, sending_until=now + LEASE)
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("subscription", "owner").get(pk=delivery_id)
    secret = secret_for(delivery)
    if secret is None or (delivery.subscription is not None and delivery.subscription.disabled_at is not None):
        pending.update(status=WebhookDelivery.Status.CANCELLED, next_attempt_at=None, sending_until=None)
        return False
    if _in_flight_elsewhere(delivery, now) >= settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT:
        pending.update(next_attempt_at=now + DEFER, sending_until=None)
        return False
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, delivery.message_id, timestamp, delivery.body),
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
    # From pending only: a delivery cancelled while it was sent stays cancelled.
    if not pending.update(attempts=tries, status=status, next_attempt_at=next_at, sending_until=None):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(sending_until=None)
    if delivery.subscription is not None:
        _record_outcome(delivery.subscription, succeeded=succeeded, now=now, error=describe_failure(status_code, error))
    if not succeeded:
        logger.info("Webhook %s to %s failed (try %d): %s", delivery.message_id, delivery.url, tries, error)
    return succeeded


def _record_outcome(subscription: WebhookSubscription, *, succeeded: bool, now: datetime, error: str) -> None:
    """Keep the subscription's failure clock: a success stops it, a failure starts it or may disable."""
    rows = WebhookSubscription.objects.filter(pk=subscription.pk)
    if succeeded:
        rows.exclude(failing_since=None).update(failing_since=None)
        return
    rows.filter(failing_since=None).update(failing_since=now)
    _disable_if_failing_too_long(subscription, now=now, error=error)


def dispatch_due(*, now: datetime | None = None) -> int:
    """Try every pending delivery whose time has come; returns how many were tried."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    for delivery_id in ids:
        attempt(delivery_id, now=now)
    return len(ids)


def can_redeliver(delivery: WebhookDelivery) -> bool:
    """A render's callback, or a delivery of a subscription that still exists and is enabled."""
    if delivery.to_callback_url:
        return True
    return delivery.subscription is not None and delivery.subscription.disabled_at is None


def redeliver(delivery: WebhookDelivery) -> bool:
    """Send a delivery again now, whatever became of it (the dashboard's "redeliver").

    Refused (False) when it may not be sent: its subscription was deleted or is disabled.
    """
    if not can_redeliver(delivery):
        return False
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    from webhooks.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id=delivery.pk))
    return True


def announce_low_credits(sender, account, **kwargs) -> None:
    """billing's `credits_low` signal, as a `credits.low` event for live subscribers (sandbox renders cost nothing)."""
    emit(
        account.user,
        "credits.low",
        {
            "balance": account.balance,
            "plan": account.plan.slug,
            "monthly_credits": account.plan.monthly_credits,
            "period_ends_at": iso_z(account.period_ends_at),
        },
        sandbox=False,
    )


def send_test_event(subscription: WebhookSubscription) -> WebhookDelivery | None:
    """Queue a `test.event` for this one subscription (the dashboard's "send a test event").

    None for a disabled subscription: it receives nothing until it is re-enabled.
    """
    if subscription.disabled_at is not None:
        return None
    body = json.dumps(
        {
            "type": "test.event",
            "created_at": now_iso_z(),
            "data": {"subscription": subscription.public_id, "message": "A test event from the Imagior dashboard."},
        },
        separators=(",", ":"),
    )
    delivery = WebhookDelivery.objects.create(
        owner=subscription.owner,
        subscription=subscription,
        url=subscription.url,
        endpoint=endpoint_of(subscription.url),
        event_type="test.event",
        body=body,
        next_attempt_at=timezone.now(),
    )
    from webhooks.tasks import deliver_webhook  # tasks import this module

    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id=delivery.pk))
    return delivery
