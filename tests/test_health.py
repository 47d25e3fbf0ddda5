"""/healthz, /readyz and /metrics (docs/deploy.md, "Health and metrics")."""

import re

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from conftest import BOX_AND_TITLE


def test_healthz_says_the_process_serves(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_every_part(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "vendor": "sqlite"} or body["checks"]["database"]["vendor"] in (
        "sqlite",
        "postgresql",
    )
    assert body["checks"]["cache"]["ok"] and body["checks"]["cache"]["backend"] in ("locmem", "redis")
    assert body["checks"]["storage"] == {"ok": True, "backend": "filesystem"}
    assert body["checks"]["tasks"]["ok"] and isinstance(body["checks"]["tasks"]["queued"], int)
    assert not default_storage.exists("health/readyz-probe.txt")  # the probe cleans up


@pytest.mark.django_db
def test_readyz_is_503_naming_the_part_that_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache server unreachable")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False and "unreachable" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_metrics_are_a_404_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


LINE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus' text format, whatever the order of its labels."""
    for line in text.splitlines():
        match = LINE.match(line)
        if match and match.group(1) == name:
            found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            if found == {key: str(value) for key, value in labels.items()}:
                return float(match.group(3))
    raise AssertionError(f"{name} {labels} not in:\n{text}")


@pytest.mark.django_db
def test_metrics_count_renders_durations_and_credits(client, settings, api, sandbox_api):
    settings.METRICS_TOKEN = "s3cret-token"
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    for _ in range(2):
        assert api.post("/api/v1/images", {"template": template}, format="json").status_code == 201
    assert api.post("/api/v1/images", {"template": template, "format": "jpeg"}, format="json").status_code == 201
    assert sandbox_api.post("/api/v1/images", {"template": template}, format="json").status_code == 201
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert sample(text, "imagior_renders_total", status="completed", mode="live") == 3
    assert sample(text, "imagior_renders_total", status="completed", mode="test") == 1
    assert sample(text, "imagior_render_duration_seconds_count", format="png") == 3
    assert sample(text, "imagior_render_duration_seconds_count", format="jpeg") == 1
    assert sample(text, "imagior_render_duration_seconds_bucket", format="png", le="+Inf") == 3
    assert sample(text, "imagior_render_duration_seconds_sum", format="png") > 0
    assert sample(text, "imagior_credits_spent_total") == 3  # test renders are free
    assert sample(text, "imagior_queue_depth", queue="renders") == 0
