"""The dashboard's key form offers scopes, a template picker and an expiry; keys roll with a grace period."""

import re
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiKey
from conftest import client_for
from templates_app import services

CARD = {"name": "Product card", "width": 100, "height": 60, "elements": []}


def new_key_from(page) -> str:
    return re.search(rb'data-testid="new-key">(imk_\w+)<', page.content).group(1).decode()


def test_the_form_makes_a_restricted_expiring_key_and_the_list_shows_it(alice_client, alice):
    card = services.create_template(owner=alice, data=CARD)
    form = alice_client.get("/dashboard/keys").content.decode()
    assert 'value="images:write"' in form and f'value="{card.public_id}"' in form and "In 30 days" in form
    response = alice_client.post(
        "/dashboard/keys",
        {
            "name": "Storefront",
            "mode": "live",
            "scopes": ["images:write"],
            "allowed_templates": [card.public_id],
            "expires_in_days": "30",
        },
    )
    assert response.status_code == 302, response.content
    raw = new_key_from(alice_client.get("/dashboard/keys"))
    key = ApiKey.objects.find_active(raw)
    assert key.scopes == ["images:write"] and key.allowed_templates == [card.public_id]
    assert timedelta(days=29, hours=23) < key.expires_at - timezone.now() <= timedelta(days=30)
    assert client_for(raw).get("/api/v1/templates").json()["code"] == "scope_denied"
    listing = alice_client.get("/dashboard/keys").content.decode()
    assert "Scopes: images:write" in listing and f"Templates: {card.public_id}" in listing and "Expires" in listing


def test_the_form_refuses_another_accounts_template_and_unknown_scopes(alice_client, alice, bob):
    theirs = services.create_template(owner=bob, data=CARD)
    response = alice_client.post(
        "/dashboard/keys",
        {"name": "x", "mode": "live", "scopes": ["images:everything"], "allowed_templates": [theirs.public_id]},
    )
    assert response.status_code == 400
    assert b'id="id_scopes_error"' in response.content and b'id="id_allowed_templates_error"' in response.content
    assert not ApiKey.objects.filter(user=alice).exists()


def test_rolling_a_key_shows_the_new_one_and_keeps_the_old_one_for_the_grace(alice_client, alice):
    old, old_raw = ApiKey.issue(alice, name="Zapier", scopes=["images:write", "images:read"])
    response = alice_client.post(f"/dashboard/keys/{old.public_id}/roll", {"grace": "24h"})
    assert response.status_code == 302
    page = alice_client.get("/dashboard/keys")
    new_raw = new_key_from(page)
    new = ApiKey.objects.find_active(new_raw)
    assert new.name == "Zapier" and new.scopes == ["images:read", "images:write"] and new.pk != old.pk
    old.refresh_from_db()
    assert timedelta(hours=23, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=24)
    assert client_for(old_raw).get("/api/v1/images").status_code == 200
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(old_raw).get("/api/v1/images").status_code == 401
    assert client_for(new_raw).get("/api/v1/images").status_code == 200


def test_rolling_with_no_grace_revokes_and_others_keys_cannot_be_rolled(alice_client, alice, bob_key):
    old, old_raw = ApiKey.issue(alice, name="Leaked")
    assert alice_client.post(f"/dashboard/keys/{old.public_id}/roll", {"grace": "none"}).status_code == 302
    assert ApiKey.objects.find_active(old_raw) is None
    assert alice_client.post(f"/dashboard/keys/{bob_key[0].public_id}/roll", {"grace": "1h"}).status_code == 404
    assert ApiKey.objects.filter(user=bob_key[0].user).count() == 1
