"""A new account confirms its e-mail before its first live render (docs/accounts.md):
403 email_not_verified, nothing stored, nothing charged; test keys render meanwhile."""

import hashlib
import hmac

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from billing.models import LedgerEntry
from conftest import balance
from templates_app import services
from templates_app.models import Image


@pytest.fixture
def unverified(alice):
    """alice as a fresh sign-up: her address is on file but not confirmed."""
    EmailAddress.objects.filter(user=alice).update(verified=False)
    return alice


def assert_refused(response, user):
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "email_not_verified" and body["title"] == "E-mail not verified"
    assert user.email in body["detail"]
    assert not Image.objects.filter(sandbox=False).exists()
    assert balance(user) == 50
    assert not LedgerEntry.objects.filter(account__user=user, kind="render").exists()


def test_an_unverified_accounts_live_render_is_refused_and_free(api, small_card, unverified):
    response = api.post("/api/v1/images", {"template": small_card["id"]}, format="json")
    assert_refused(response, unverified)


def test_an_unverified_accounts_async_live_render_is_refused_too(api, small_card, unverified):
    response = api.post("/api/v1/images", {"template": small_card["id"], "async": True}, format="json")
    assert_refused(response, unverified)


def test_test_keys_render_while_the_address_waits(sandbox_api, small_card, unverified):
    response = sandbox_api.post("/api/v1/images", {"template": small_card["id"]}, format="json")
    assert response.status_code == 201 and response.json()["sandbox"] is True
    assert balance(unverified) == 50


def test_once_confirmed_the_live_render_goes_through_and_is_charged(api, small_card, unverified):
    EmailAddress.objects.filter(user=unverified).update(verified=True)
    response = api.post("/api/v1/images", {"template": small_card["id"]}, format="json")
    assert response.status_code == 201 and response.json()["credits_used"] == 1
    assert balance(unverified) == 49


def test_an_edit_is_a_live_render_and_waits_too(api, small_card, alice):
    original = api.post("/api/v1/images", {"template": small_card["id"]}, format="json").json()
    EmailAddress.objects.filter(user=alice).update(verified=False)
    response = api.post(f"/api/v1/images/{original['id']}/edit", {"modifications": {"title": "x"}}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "email_not_verified"
    assert Image.objects.count() == 1 and balance(alice) == 49


def test_a_signed_url_of_an_unverified_account_is_refused(small_card, unverified):
    path = f"/i/{small_card['id']}.png?title=Hi"
    sig = hmac.new(unverified.url_signing_secret.encode(), path.encode(), hashlib.sha256).hexdigest()
    response = Client().get(f"{path}&sig={sig}")
    assert_refused(response, unverified)


def test_a_dashboard_rerender_of_a_live_image_waits_too(alice_client, small_card, alice):
    live, _ = services.render_image(owner=alice, template_id=small_card["id"])
    EmailAddress.objects.filter(user=alice).update(verified=False)
    page = f"/dashboard/images/{live.public_id}/rerender"
    response = alice_client.post(page, {"modifications": "[]", "format": "png"})
    assert response.status_code == 403 and b"Confirm alice@example.com" in response.content
    assert Image.objects.count() == 1 and balance(alice) == 49
