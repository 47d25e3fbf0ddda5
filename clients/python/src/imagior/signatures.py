"""Signatures that need no API call: checking a webhook delivery, minting a signed image URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .errors import WebhookVerificationError
from .types import WebhookEvent

WEBHOOK_TOLERANCE = 300  # seconds a delivery's timestamp may be off our clock
SIGNED_URL_FORMATS = ("png", "jpeg", "webp")


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = WEBHOOK_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check a delivery's Standard Webhooks signature and return its event.

    `body` is the raw request body exactly as received (not re-serialised JSON),
    `headers` the request's headers (any mapping; names are matched without
    regard to case), `secret` the subscription's `whsec_…` secret (or, for a
    render's `callback_url`, the account's callback secret). Raises
    WebhookVerificationError when the signature does not match or the
    timestamp is more than `tolerance` seconds away from now (a replay).
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lower = {str(name).lower(): value for name, value in headers.items()}
    message_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number.") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too far from now (a replay or a wrong clock).")
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + raw
    expected = base64.b64encode(hmac.new(_webhook_key(secret), signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            break
    else:
        raise WebhookVerificationError("No signature matches this body and secret.")
    try:
        event = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("The body is not JSON.") from None
    return WebhookEvent(event if isinstance(event, dict) else {"data": event})


def _webhook_key(secret: str) -> bytes:
    encoded = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        raise WebhookVerificationError("The secret is not a whsec_… webhook secret.") from None


def signed_url(
    base_url: str,
    template_id: str,
    modifications: Mapping[str, Any] | list[Mapping[str, Any]] | None,
    secret: str,
    ext: str = "png",
) -> str:
    """A `/i/{template}.{ext}?…&sig=…` URL that renders this template with these
    modifications, for `<img>` and `og:image` tags: no API key in the page.

    `secret` is the account's URL-signing secret (`account.secrets.url_signing`,
    `uss_…`). `modifications` is the flat form (`{"title": "Hi",
    "title.color": "#fff"}`), the map form (`{"title": {"text": "Hi"}}`) or
    the list form (`[{"name": "title", "text": "Hi"}]`). The first hit renders
    and charges one credit; identical URLs are then served from cache, free.
    """
    if ext not in SIGNED_URL_FORMATS:
        raise ValueError(f"ext must be one of {', '.join(SIGNED_URL_FORMATS)}")
    params = sorted(_flat(modifications))
    path = f"/i/{quote(template_id, safe='')}.{ext}?" + urlencode(params, quote_via=quote)
    sig = hmac.new(secret.encode(), path.encode(), hashlib.sha256).hexdigest()
    return base_url.rstrip("/") + path + "&sig=" + sig


def _flat(modifications: Any) -> list[tuple[str, str]]:
    if not modifications:
        return []
    if isinstance(modifications, Mapping):
        items = list(modifications.items())
    else:
        items = []
        for element in modifications:
            fields = dict(element)
            name = fields.pop("name")
            items.append((name, fields))
    params: list[tuple[str, str]] = []
    for name, value in items:
        if isinstance(value, Mapping):
            params.extend((f"{name}.{field}", _text(field_value)) for field, field_value in value.items())
        else:
            params.append((str(name), _text(value)))
    return params


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
