"""Issue 9, point 3: the signing secrets only for live server keys (idempotency by mode and its
lease: test_idempotency_modes.py)."""

from accounts.models import ApiKey
from conftest import client_for


def test_a_live_server_key_reads_the_secrets(api, alice):
    secrets = api.get("/api/v1/account").json()["secrets"]
    assert secrets == {"callback": alice.callback_secret, "url_signing": alice.url_signing_secret}


def test_a_test_key_never_reads_the_secrets(sandbox_api, alice):
    response = sandbox_api.get("/api/v1/account")
    assert response.status_code == 200 and response.json()["secrets"] is None
    assert alice.url_signing_secret.encode() not in response.content


def test_a_browser_key_never_reads_the_secrets_even_from_its_own_origin(alice):
    _, raw = ApiKey.issue(alice, name="storefront", allowed_domains=["shop.example"])
    client = client_for(raw)
    response = client.get("/api/v1/account", HTTP_ORIGIN="https://shop.example")
    assert response.status_code == 200 and response.json()["secrets"] is None
    assert alice.callback_secret.encode() not in response.content
