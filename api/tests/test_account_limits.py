"""Issue 9, point 7: more keys or the dashboard add no budget."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import MAX_ACTIVE_KEYS, ApiKey
from billing.models import Plan
from conftest import BOX_AND_TITLE
from templates_app.models import Image


def test_an_account_holds_at_most_25_active_keys(alice, alice_client):
    for n in range(MAX_ACTIVE_KEYS):
        ApiKey.issue(alice, name=f"k{n}")
    response = alice_client.post("/dashboard/keys", {"name": "one too many", "mode": "live"})
    assert response.status_code == 400 and b"at most 25 active keys" in response.content
    with pytest.raises(CommandError, match="at most 25 active keys"):
        call_command("create_api_key", "alice@example.com")
    assert ApiKey.objects.filter(user=alice).count() == MAX_ACTIVE_KEYS
    # A revoked key frees its place; a rolled one without grace takes its own.
    ApiKey.objects.filter(user=alice).first().revoke()
    assert alice_client.post("/dashboard/keys", {"name": "replacement", "mode": "live"}).status_code == 302
    last = ApiKey.objects.filter(user=alice, revoked_at__isnull=True).first()
    assert alice_client.post(f"/dashboard/keys/{last.public_id}/roll", {"grace": "24h"}).status_code == 302
    assert ApiKey.objects.active().filter(user=alice).count() == MAX_ACTIVE_KEYS  # refused: no grace room
    last.roll(grace=timedelta(0))
    assert ApiKey.objects.active().filter(user=alice).count() == MAX_ACTIVE_KEYS


def spend_sandbox_minute(client, count: int) -> None:
    for _ in range(count):
        assert client.get("/api/v1/templates").status_code == 200


def test_dashboard_test_renders_count_against_the_sandbox_minute(alice, sandbox_api, api, alice_client):
    Plan.objects.filter(slug="free").update(rate_limit_per_minute=1000)
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
    spend_sandbox_minute(sandbox_api, 29)
    url = reverse("designer-test-render", args=[template["id"]])
    first = alice_client.post(url, json.dumps({"version": template["version"]}), content_type="application/json")
    assert first.status_code == 201  # the 30th of the minute
    over = alice_client.post(url, json.dumps({"version": template["version"]}), content_type="application/json")
    assert over.status_code == 429 and over.json()["errors"][0]["code"] == "rate_limited"
    assert int(over["Retry-After"]) > 0
    assert Image.objects.filter(sandbox=True).count() == 1
    assert sandbox_api.get("/api/v1/templates").status_code == 429  # the same counter


def test_dashboard_re_renders_count_against_the_live_minute(alice, api, alice_client):
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
    image = api.post("/api/v1/images", {"template": template["id"]}, format="json").json()
    for _ in range(8):  # 2 + 8 = the Free plan's 10
        api.get("/api/v1/templates")
    url = reverse("dash-image-rerender", args=[image["id"]])
    response = alice_client.post(url, {"modifications": "{}", "format": "png"})
    assert response.status_code == 429 and b"Too many requests" in response.content
    assert Image.objects.count() == 1  # nothing rendered, nothing charged
    assert api.get("/api/v1/templates").status_code == 429
