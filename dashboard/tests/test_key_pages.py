"""The home page's links and the API-key pages through Django's test client (sign-in: test_sign_in.py)."""

import re

import pytest

from accounts.models import ApiKey


def test_the_home_page_invites_anonymous_visitors_to_sign_up_or_log_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/signup"' in response.content and b'href="/login"' in response.content


def test_the_home_page_sends_a_signed_in_user_to_the_overview(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.mark.parametrize("path", ["/dashboard/profile", "/dashboard/keys", "/dashboard/secrets/callback"])
def test_account_pages_need_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_a_new_key_is_shown_once_and_works(alice_client, alice):
    response = alice_client.post(
        "/dashboard/keys",
        {"name": "CI", "mode": "test", "allowed_ips": "203.0.113.7\n198.51.100.0/24", "allowed_domains": ""},
    )
    assert response.status_code == 302
    page = alice_client.get("/dashboard/keys")
    raw = re.search(rb'data-testid="new-key">(imk_test_\w+)<', page.content).group(1).decode()
    assert "no-store" in page["Cache-Control"]
    key = ApiKey.objects.find_active(raw)
    assert key.user == alice and key.mode == "test" and key.allowed_ips == ["203.0.113.7", "198.51.100.0/24"]
    again = alice_client.get("/dashboard/keys")
    assert raw.encode() not in again.content
    assert key.prefix.encode() in again.content


def test_key_form_errors_sit_next_to_their_fields(alice_client, alice):
    response = alice_client.post("/dashboard/keys", {"name": "", "mode": "live", "allowed_ips": "not-an-ip"})
    assert response.status_code == 400
    assert b'id="id_allowed_ips_error"' in response.content
    assert b'id="id_name_error"' in response.content
    assert not ApiKey.objects.filter(user=alice).exists()


def test_revoking_a_key(alice_client, alice_key):
    key, raw = alice_key
    assert alice_client.get(f"/dashboard/keys/{key.public_id}/revoke").status_code == 405
    response = alice_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    assert response.status_code == 302
    assert ApiKey.objects.find_active(raw) is None


def test_another_accounts_key_cannot_be_revoked(alice_client, bob_key):
    key, raw = bob_key
    assert alice_client.post(f"/dashboard/keys/{key.public_id}/revoke").status_code == 404
    assert ApiKey.objects.find_active(raw) is not None


def test_secrets_are_revealed_on_request_and_rolled(alice_client, alice):
    page = alice_client.get("/dashboard/keys")
    assert alice.callback_secret.encode() not in page.content  # hidden until asked for
    revealed = alice_client.get("/dashboard/secrets/callback")
    assert alice.callback_secret.encode() in revealed.content
    old_callback, old_signing = alice.callback_secret, alice.url_signing_secret
    assert alice_client.post("/dashboard/secrets/callback/roll").status_code == 302
    assert alice_client.post("/dashboard/secrets/url-signing/roll").status_code == 302
    alice.refresh_from_db()
    assert alice.callback_secret.startswith("whsec_") and alice.callback_secret != old_callback
    assert alice.url_signing_secret.startswith("uss_") and alice.url_signing_secret != old_signing


def test_unknown_secrets_are_404(alice_client):
    assert alice_client.get("/dashboard/secrets/password").status_code == 404
    assert alice_client.post("/dashboard/secrets/password/roll").status_code == 404


def test_the_key_form_starts_on_a_test_key_as_its_empty_state_recommends(alice_client):
    html = alice_client.get("/dashboard/keys").content.decode()
    assert "a test key is a good start" in html
    checked = re.findall(r'<input type="radio" name="mode" value="(\w+)"[^>]*\bchecked\b', html)
    assert checked == ["test"]
