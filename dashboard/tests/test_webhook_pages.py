"""The webhooks page: the delivery log in words, and editing a subscription."""

import re
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from lib.timestamps import from_now_in_words
from webhooks import services as webhooks
from webhooks.models import WebhookAttempt, WebhookDelivery, describe_failure


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def subscription(alice):
    return webhooks.create_subscription(owner=alice, url="https://hooks.example.com/in", events=["image.failed"])


def _failed_try(subscription, *, error: str = "", status_code: int | None = None, retry_in: timedelta) -> None:
    delivery = WebhookDelivery.objects.create(
        owner=subscription.owner,
        subscription=subscription,
        url=subscription.url,
        event_type="image.failed",
        body="{}",
        attempts=1,
        next_attempt_at=timezone.now() + retry_in,
    )
    WebhookAttempt.objects.create(delivery=delivery, status_code=status_code, duration_ms=12, error=error)


def test_the_log_says_what_went_wrong_in_words(alice_client, subscription):
    _failed_try(
        subscription,
        error="DNS resolution failed: [Errno -2] Name or service not known",
        retry_in=timedelta(seconds=20),
    )
    _failed_try(subscription, status_code=503, error="HTTP 503", retry_in=timedelta(minutes=5))
    html = alice_client.get("/dashboard/webhooks").content.decode()
    text = _text(html)
    assert "The host name could not be found (DNS)" in text
    assert "HTTP 503 Service Unavailable." in text
    assert "[Errno" not in text  # only in the title, for whoever wants the raw reason
    assert 'title="DNS resolution failed: [Errno -2] Name or service not known"' in html
    assert "retry in under a minute" in text and "retry in 5 minutes" in text
    assert "0 minutes" not in text


def test_a_refused_connection_is_named(settings, alice, alice_client, django_capture_on_commit_callbacks):
    settings.ALLOW_PRIVATE_FETCH = True
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    subscription = webhooks.create_subscription(
        owner=alice, url=f"http://127.0.0.1:{port}/in", events=["image.failed"], mode="test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.send_test_event(subscription)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert "Errno 111" in attempt.error or "refused" in attempt.error.lower()
    assert "Connection refused: nothing accepted connections" in _text(
        alice_client.get("/dashboard/webhooks").content.decode()
    )


@pytest.mark.parametrize(
    ("status_code", "error", "words"),
    [
        (None, "DNS resolution timed out", "Looking up the host name timed out."),
        (None, "DNS resolution failed: [Errno -3] Temporary failure in name resolution", "could not be found (DNS)"),
        (None, "ConnectionRefusedError: [Errno 111] Connection refused", "Connection refused"),
        (None, "timed out", "No answer within 10 seconds (timed out)."),
        (None, "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "TLS"),
        (None, "hooks.example.com resolves to refused address 10.0.0.7", "private or reserved address"),
        (None, "ConnectionResetError: [Errno 104] Connection reset by peer", "closed the connection"),
        (404, "HTTP 404", "HTTP 404 Not Found."),
        (301, "HTTP 301 (redirects are not followed)", "HTTP 301 Moved Permanently: redirects are not followed"),
        (None, "OSError: something new", "The delivery could not be sent."),
    ],
)
def test_failures_in_words(status_code, error, words):
    assert words in describe_failure(status_code, error)


@pytest.mark.parametrize(
    ("delay", "words"),
    [
        (timedelta(seconds=-5), "in under a minute"),
        (timedelta(seconds=59), "in under a minute"),
        (timedelta(seconds=61), "in 1 minute"),
        (timedelta(seconds=299), "in 5 minutes"),
        (timedelta(minutes=30), "in 30 minutes"),
        (timedelta(hours=2), "in about 2 hours"),
        (timedelta(hours=6), "in about 6 hours"),
        (timedelta(days=1), "in about 1 day"),
    ],
)
def test_retry_times_in_words(delay, words):
    now = timezone.now()
    assert from_now_in_words(now + delay, now) == words


def test_a_subscription_can_be_edited_from_the_webhooks_page(alice_client, subscription):
    edit_url = f"/dashboard/webhooks/{subscription.public_id}/edit"
    assert f'href="{edit_url}"' in alice_client.get("/dashboard/webhooks").content.decode()
    form = alice_client.get(edit_url).content.decode()
    assert 'value="https://hooks.example.com/in"' in form
    _failed_try(subscription, error="DNS resolution failed: [Errno -2]", retry_in=timedelta(minutes=5))
    type(subscription).objects.filter(pk=subscription.pk).update(failing_since=timezone.now())
    secret = subscription.secret

    response = alice_client.post(
        edit_url, {"url": "https://hooks.example.org/new", "events": ["image.completed", "image.failed"]}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/webhooks"
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.org/new"
    assert subscription.events == ["image.completed", "image.failed"]
    assert subscription.secret == secret and subscription.failing_since is None
    waiting = WebhookDelivery.objects.get(subscription=subscription)
    assert waiting.url == "https://hooks.example.org/new" and waiting.endpoint == "hooks.example.org"


def test_editing_checks_like_creating(alice_client, subscription):
    edit_url = f"/dashboard/webhooks/{subscription.public_id}/edit"
    # Refused by webhooks.update_subscription (the API's message), shown next to its field.
    response = alice_client.post(edit_url, {"url": "https://user:pw@hooks.example.com/in", "events": ["image.failed"]})
    assert response.status_code == 400
    assert 'id="id_url_error"' in response.content.decode()
    assert "without credentials" in response.content.decode()
    response = alice_client.post(edit_url, {"url": "https://hooks.example.com/other", "events": []})
    assert response.status_code == 400 and 'id="id_events_error"' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.com/in" and subscription.events == ["image.failed"]


def test_another_accounts_subscription_cannot_be_edited(alice_client, bob):
    theirs = webhooks.create_subscription(owner=bob, url="https://bob.example.com/in", events=["image.failed"])
    edit_url = f"/dashboard/webhooks/{theirs.public_id}/edit"
    assert alice_client.get(edit_url).status_code == 404
    assert (
        alice_client.post(edit_url, {"url": "https://evil.example.com/", "events": ["image.failed"]}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.url == "https://bob.example.com/in"


def test_update_subscription_refuses_what_create_refuses(subscription):
    from lib.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        webhooks.update_subscription(subscription, url="ftp://x", events=["nope"])
    assert {error["field"] for error in refused.value.errors} == {"url", "events"}
