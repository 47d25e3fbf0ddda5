from accounts.models import ApiKey
from api.serializers import AccountSerializer
from conftest import client_for


def test_it_describes_the_account_plan_credits_and_key(api, alice, alice_key):
    response = api.get("/api/v1/account")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["plan"] == {"slug": "free", "name": "Free", "monthly_credits": 50, "rate_limit_per_minute": 10}
    assert body["credits"]["balance"] == 50 and body["credits"]["used_this_period"] == 0
    assert body["credits"]["period_ends_at"].endswith("Z")
    key = alice_key[0]
    assert body["key"] == {
        "id": key.public_id,
        "name": "alice live",
        "mode": "live",
        "prefix": key.prefix,
        "scopes": [],
        "allowed_templates": [],
        "expires_at": None,
    }
    assert body["secrets"]["callback"].startswith("whsec_")
    assert body["secrets"]["url_signing"].startswith("uss_")


def test_a_test_key_says_so(sandbox_api):
    assert sandbox_api.get("/api/v1/account").json()["key"]["mode"] == "test"


def test_it_shows_only_the_callers_account(bob_api):
    assert bob_api.get("/api/v1/account").json()["email"] == "bob@example.com"


def test_the_documented_account_fields_are_exactly_the_ones_sent(api, alice):
    documented = AccountSerializer().fields
    body = api.get("/api/v1/account").json()
    assert set(documented) == set(body)
    for name in ("plan", "credits", "workspace", "key", "secrets"):
        assert set(documented[name].fields) == set(body[name]), name
    # A key without account:read gets the same fields, most of them null.
    _, raw = ApiKey.issue(alice, name="restricted", scopes=["images:write"])
    assert set(client_for(raw).get("/api/v1/account").json()) == set(documented)
