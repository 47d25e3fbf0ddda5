"""Pages on other sites call the API from the browser: CORS on /api/v1/ only, no cookies."""

from accounts.models import ApiKey
from conftest import BOX_AND_TITLE, client_for

SHOP = "https://shop.example.com"


def test_a_preflight_from_another_site_may_send_the_apis_headers(client):
    answer = client.options(
        "/api/v1/images",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    allowed = {header.strip() for header in answer["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "if-match"} <= allowed
    assert "POST" in answer["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in answer


def test_a_browser_key_renders_from_its_site_and_the_page_can_read_the_credit_headers(alice, api):
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    _, raw = ApiKey.issue(alice, name="storefront", allowed_domains=["shop.example.com"])
    answer = client_for(raw).post("/api/v1/images", {"template": template}, format="json", HTTP_ORIGIN=SHOP)
    assert answer.status_code == 201
    assert answer["Access-Control-Allow-Origin"] == "*"
    exposed = {header.strip().lower() for header in answer["Access-Control-Expose-Headers"].split(",")}
    assert {"x-credits-remaining", "ratelimit-remaining", "x-request-id", "location"} <= exposed
    # CORS lets the page read answers; which sites may use the key is still the key's rule.
    elsewhere = client_for(raw).post(
        "/api/v1/images", {"template": template}, format="json", HTTP_ORIGIN="https://evil.example"
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "origin_not_allowed"


def test_pages_outside_the_api_send_no_cors_headers(alice_client):
    for path in ("/dashboard/", "/accounts/login/"):
        answer = alice_client.get(path, HTTP_ORIGIN=SHOP)
        assert "Access-Control-Allow-Origin" not in answer, path
