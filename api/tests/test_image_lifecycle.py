"""Issue 9: image state changes are conditional updates, so the stuck sweep, a late
worker and a delete can interleave in any order and money moves exactly once.

The interleavings are driven deterministically by calling the worker's own steps
(claim, render) in the order under test."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.http import Http404
from django.utils import timezone

from billing.models import LedgerEntry
from conftest import assert_ledger_clean, balance
from templates_app import render_runner, rendering, services
from templates_app.models import Image
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery


@pytest.fixture
def template(small_card):
    return small_card


@pytest.fixture
def subscribed(alice):
    """Alice listens to both image events (the deliveries are only queued: nothing is sent in these tests)."""
    return webhooks.create_subscription(
        owner=alice, url="https://hooks.example.com/imagior", events=["image.completed", "image.failed"]
    )


def render_async(api, template) -> Image:
    response = api.post(
        "/api/v1/images",
        {"template": template["id"], "async": True, "callback_url": "https://cb.example.com/hook"},
        format="json",
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    # The task is never run here (on_commit does not fire in these tests): the test is the worker.
    return Image.objects.get(public_id=response.json()["id"])


def files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "images"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def ledger_rows(image: Image) -> list[tuple[str, int]]:
    return list(LedgerEntry.objects.filter(reference=image.public_id).order_by("id").values_list("kind", "amount"))


def events() -> list[str]:
    return sorted(WebhookDelivery.objects.values_list("event_type", flat=True))


def test_a_late_worker_cannot_complete_an_image_the_sweep_failed_and_refunded(
    api, alice, template, subscribed, settings
):
    image = render_async(api, template)
    claimed = services.claim_pending_image(image.pk)
    assert claimed is not None and claimed.status == "rendering" and claimed.claimed_at is not None

    # The worker is slow (or a second worker still holds it): the sweep gives up on it.
    assert services.fail_stuck_renders(now=claimed.claimed_at + services.STUCK_AFTER + timedelta(minutes=1)) == 1
    assert balance(alice) == 50

    # Then the late worker finishes: it lost the claim, so it stores nothing and announces nothing.
    with pytest.raises(rendering.RenderError):
        services.render_claimed_image(claimed)
    image.refresh_from_db()
    assert image.status == "failed" and not image.file and image.credits_used == 0
    assert image.error["message"] == "The render did not finish; its credit was refunded."
    assert files_on_disk(settings) == []
    assert ledger_rows(image) == [("render", -1), ("refund", 1)]
    assert balance(alice) == 50
    assert_ledger_clean()
    assert events() == ["image.failed", "image.failed"]  # the subscription and the callback_url, once each
    body = api.get(f"/api/v1/images/{image.public_id}")
    assert body.status_code == 200 and body.json()["status"] == "failed" and body.json()["url"] is None


def test_the_sweep_measures_a_render_from_its_claim_not_from_its_creation(api, alice, template):
    image = render_async(api, template)
    # Queued for 20 minutes behind other renders, then claimed: it is not stuck.
    Image.objects.filter(pk=image.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    claimed = services.claim_pending_image(image.pk)
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(minutes=1)) == 0

    services.render_claimed_image(claimed)
    image.refresh_from_db()
    assert image.status == "completed" and image.file and image.credits_used == 1
    assert ledger_rows(image) == [("render", -1)]
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(hours=2)) == 0


def test_a_second_worker_cannot_claim_a_claimed_image(api, template):
    image = render_async(api, template)
    assert services.claim_pending_image(image.pk) is not None
    assert services.claim_pending_image(image.pk) is None
    assert services.render_accepted_image(image.pk) == "rendering", "the loser leaves it alone"


def test_deleting_a_pending_image_refunds_it_once_and_the_worker_then_does_nothing(
    api, alice, template, subscribed, settings
):
    image = render_async(api, template)
    assert balance(alice) == 49

    assert api.delete(f"/api/v1/images/{image.public_id}").status_code == 204
    missing = api.get(f"/api/v1/images/{image.public_id}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api.delete(f"/api/v1/images/{image.public_id}").status_code == 404
    assert not Image.objects.filter(pk=image.pk).exists()
    assert ledger_rows(image) == [("render", -1), ("refund", 1)]
    assert LedgerEntry.objects.get(kind="refund", reference=image.public_id).reason == "Render cancelled: image deleted"
    assert balance(alice) == 50

    # The queued task runs afterwards: nothing to claim, nothing written, nothing sent.
    assert services.render_accepted_image(image.pk) == "deleted"
    assert files_on_disk(settings) == []
    assert events() == []
    assert_ledger_clean()


def test_deleting_a_rendering_image_removes_the_file_the_worker_writes_afterwards(
    api, alice, template, subscribed, settings
):
    image = render_async(api, template)
    claimed = services.claim_pending_image(image.pk)

    assert api.delete(f"/api/v1/images/{image.public_id}").status_code == 204
    assert balance(alice) == 50

    # The worker finishes after the delete: it writes its file, loses its update and removes the file.
    with pytest.raises(Http404):
        services.render_claimed_image(claimed)
    assert files_on_disk(settings) == []
    assert api.get(f"/api/v1/images/{image.public_id}").status_code == 404
    assert ledger_rows(image) == [("render", -1), ("refund", 1)]
    assert balance(alice) == 50
    assert events() == []
    assert_ledger_clean()


def test_a_synchronous_render_deleted_mid_render_answers_404_not_500(api, alice, template, monkeypatch, settings):
    """The DELETE lands while the POST's render runs: 204 for it, then 404, and no file is left."""
    real_render = render_runner.run_render
    deleted = {}

    def render_then_delete(*args, **kwargs):
        result = real_render(*args, **kwargs)
        image = Image.objects.get()
        deleted["answer"] = api.delete(f"/api/v1/images/{image.public_id}").status_code
        deleted["id"] = image.public_id
        return result

    monkeypatch.setattr(render_runner, "run_render", render_then_delete)
    response = api.post("/api/v1/images", {"template": template["id"]}, format="json")
    assert deleted["answer"] == 204
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert api.get(f"/api/v1/images/{deleted['id']}").status_code == 404
    assert files_on_disk(settings) == []
    assert list(LedgerEntry.objects.filter(reference=deleted["id"]).order_by("id").values_list("kind", "amount")) == [
        ("render", -1),
        ("refund", 1),
    ]
    assert balance(alice) == 50
    assert_ledger_clean()


def test_deleting_a_completed_image_removes_its_file_and_keeps_the_charge(api, alice, template, settings):
    response = api.post("/api/v1/images", {"template": template["id"]}, format="json")
    assert response.status_code == 201 and len(files_on_disk(settings)) == 1
    image_id = response.json()["id"]
    assert api.delete(f"/api/v1/images/{image_id}").status_code == 204
    assert files_on_disk(settings) == []
    assert list(LedgerEntry.objects.filter(reference=image_id).values_list("kind", flat=True)) == ["render"]
    assert balance(alice) == 49


def test_the_dashboard_delete_of_a_pending_image_refunds_it(alice_client, api, alice, template):
    image = render_async(api, template)
    response = alice_client.post(f"/dashboard/images/{image.public_id}/delete", follow=True)
    assert response.status_code == 200
    assert "cancelled and refunded" in response.content.decode()
    assert not Image.objects.filter(pk=image.pk).exists()
    assert ledger_rows(image) == [("render", -1), ("refund", 1)]
    assert balance(alice) == 50
    assert_ledger_clean()


def test_a_render_failing_after_the_sweep_failed_it_is_refunded_and_announced_once(
    api, alice, template, subscribed, monkeypatch
):
    image = render_async(api, template)
    claimed = services.claim_pending_image(image.pk)
    assert services.fail_stuck_renders(now=timezone.now() + timedelta(hours=1)) == 1

    def over_budget(*args, **kwargs):
        raise rendering.RenderError("The render took longer than 20 s.")

    monkeypatch.setattr(render_runner, "run_render", over_budget)
    with pytest.raises(rendering.RenderError):
        services.render_claimed_image(claimed)
    image.refresh_from_db()
    assert image.status == "failed" and image.error["message"].startswith("The render did not finish")
    assert ledger_rows(image) == [("render", -1), ("refund", 1)]
    assert balance(alice) == 50
    assert events() == ["image.failed", "image.failed"]
    assert_ledger_clean()
