from datetime import timedelta

import pytest
from django.utils import timezone

from billing import usage
from billing.models import RequestLog

CARD = {
    "width": 100,
    "height": 60,
    "elements": [{"name": "box", "type": "rect", "x": 0, "y": 0, "width": 50, "height": 50, "fill": "#ff0000"}],
}


def test_usage_agrees_with_the_balance_after_mixed_live_and_sandbox_traffic(api, sandbox_api, alice):
    template = api.post("/api/v1/templates", CARD, format="json").json()  # request 1
    remaining = None
    for _ in range(3):  # requests 2–4: live renders
        remaining = api.post("/api/v1/images", {"template": template["id"]}, format="json")["X-Credits-Remaining"]
    for _ in range(2):  # requests 5–6: sandbox renders
        sandbox_api.post("/api/v1/images", {"template": template["id"]}, format="json")
    api.post("/api/v1/images", {"template": template["id"], "format": "gif"}, format="json")  # 7: error
    api.get("/api/v1/images/img_missing")  # 8: error

    body = api.get("/api/v1/usage?days=7").json()
    assert len(body["days"]) == 7
    today = body["days"][-1]
    assert today["date"] == timezone.now().date().isoformat()
    assert (today["requests"], today["images"], today["credits_used"], today["errors"]) == (8, 5, 3, 2)
    assert body["totals"] == {"requests": 8, "images": 5, "credits_used": 3, "errors": 2}
    account = api.get("/api/v1/account").json()
    assert account["credits"]["balance"] == int(remaining) == 50 - body["totals"]["credits_used"]
    assert account["credits"]["used_this_period"] == 3


def test_usage_days_are_validated(api):
    for days in ("0", "366", "x", "-1"):
        response = api.get(f"/api/v1/usage?days={days}")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "days"


def test_usage_is_per_account(api, bob_api):
    api.get("/api/v1/templates")
    assert bob_api.get("/api/v1/usage").json()["totals"]["requests"] == 0


def test_requests_are_logged_with_key_endpoint_status_and_duration(api, alice_key):
    api.get("/api/v1/templates")
    row = RequestLog.objects.get()
    assert (row.api_key, row.method, row.endpoint, row.status, row.sandbox) == (
        alice_key[0],
        "GET",
        "template-list",
        200,
        False,
    )
    assert row.duration_ms >= 0


@pytest.mark.django_db
def test_old_request_log_rows_are_pruned(alice, settings):
    settings.REQUEST_LOG_RETENTION_DAYS = 30
    usage.record_request(
        user=alice, api_key=None, method="GET", endpoint="x", status=200, duration_ms=1, created_image=False
    )
    old = RequestLog.objects.create(user=alice, method="GET", endpoint="y", status=200, duration_ms=1)
    RequestLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert usage.prune_request_log() == 1
    assert list(RequestLog.objects.values_list("endpoint", flat=True)) == ["x"]
