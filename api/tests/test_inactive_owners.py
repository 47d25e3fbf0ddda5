"""Issue 9: a deactivated owner (`is_active=False`) renders nothing and is charged nothing,
neither through its API keys nor through its signed URLs."""

import hashlib
import hmac
from urllib.parse import quote, urlencode

from django.test import Client

from billing.models import BillingAccount, LedgerEntry
from templates_app.models import Image


def signed_path(user, template_id: str) -> str:
    query = urlencode(sorted([("title", "Hello")]), quote_via=quote)
    path = f"/i/{template_id}.png?{query}"
    return path + "&sig=" + hmac.new(user.url_signing_secret.encode(), path.encode(), hashlib.sha256).hexdigest()


def deactivate(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_a_signed_url_of_a_deactivated_owner_is_404_and_charges_nothing(alice, small_card):
    url = signed_path(alice, small_card["id"])
    deactivate(alice)
    response = Client().get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json" and response.json()["code"] == "not_found"
    assert Image.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind="render").exists()
    assert BillingAccount.objects.get(user=alice).balance == 50


def test_an_image_already_rendered_by_signed_url_stops_being_served_when_its_owner_is_deactivated(alice, small_card):
    url = signed_path(alice, small_card["id"])
    assert Client().get(url).status_code == 200
    deactivate(alice)
    response = Client().get(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert LedgerEntry.objects.filter(kind="render").count() == 1


def test_a_bad_signature_for_a_deactivated_owner_is_still_403(alice, small_card):
    deactivate(alice)
    response = Client().get(f"/i/{small_card['id']}.png?title=Hello&sig={'0' * 64}")
    assert response.status_code == 403 and response.json()["code"] == "invalid_signature"


def test_api_keys_of_a_deactivated_user_are_refused_like_revoked_ones(api, alice, small_card):
    deactivate(alice)
    response = api.post("/api/v1/images", {"template": small_card["id"]}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Image.objects.count() == 0 and not LedgerEntry.objects.filter(kind="render").exists()
