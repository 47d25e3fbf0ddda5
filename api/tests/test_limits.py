import time

import pytest

from accounts.models import ApiKey
from billing import plans
from billing.models import Plan
from conftest import client_for


def fresh_window(client, path="/api/v1/account"):
    """Make the first request of a window with time to spare, so no count resets mid-test."""
    response = client.get(path)
    if int(response["RateLimit-Reset"]) < 10:
        time.sleep(int(response["RateLimit-Reset"]) + 1)
        response = client.get(path)
    return response


def test_a_key_gets_its_plans_requests_per_minute_then_429(api, alice):
    remaining = [int(fresh_window(api)["RateLimit-Remaining"])]
    for _ in range(9):  # Free: 10 per minute
        response = api.get("/api/v1/account")
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "10"
        remaining.append(int(response["RateLimit-Remaining"]))
        assert 0 < int(response["RateLimit-Reset"]) <= 60
    assert remaining == list(range(9, -1, -1))
    limited = api.get("/api/v1/account")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited["RateLimit-Remaining"] == "0"


def test_all_live_keys_of_an_account_share_the_plans_minute(api, alice):
    # Issue 9, point 7: five Free keys used to give fifty requests a minute.
    others = [client_for(ApiKey.issue(alice, name=f"extra {n}")[1]) for n in range(4)]
    statuses = [fresh_window(api, "/api/v1/templates").status_code]
    for n in range(14):
        statuses.append(others[n % 4].get("/api/v1/templates").status_code)
    assert statuses == [200] * 10 + [429] * 5


def test_test_keys_share_one_sandbox_minute_apart_from_the_live_one(alice, api, sandbox_api):
    plans.set_plan(alice, plan=Plan.objects.get(slug="pro"))
    second = client_for(ApiKey.issue(alice, name="second test", mode="test")[1])
    statuses = [fresh_window(sandbox_api, "/api/v1/templates").status_code]
    statuses += [(second if n % 2 else sandbox_api).get("/api/v1/templates").status_code for n in range(30)]
    assert statuses == [200] * 30 + [429]
    assert api.get("/api/v1/templates").status_code == 200  # the live minute is its own


def test_test_keys_are_capped_at_thirty_per_minute(alice, sandbox_api):
    plans.set_plan(alice, plan=Plan.objects.get(slug="pro"))
    statuses = [fresh_window(sandbox_api, "/api/v1/templates").status_code]
    statuses += [sandbox_api.get("/api/v1/templates").status_code for _ in range(30)]
    assert statuses == [200] * 30 + [429]


def test_failed_authentication_is_limited_per_ip(api, db):
    bad = client_for("imk_live_" + "x" * 38)
    statuses = [fresh_window(bad, "/api/v1/templates").status_code]
    statuses += [bad.get("/api/v1/templates").status_code for _ in range(30)]
    assert statuses == [401] * 30 + [429]
    # The whole address is blocked for the minute, good key or not.
    assert api.get("/api/v1/templates").status_code == 429
    assert client_for("imk_live_" + "x" * 38).get("/api/v1/templates", REMOTE_ADDR="198.51.100.9").status_code == 401


@pytest.fixture
def ip_limited(alice):
    return client_for(ApiKey.issue(alice, allowed_ips=["203.0.113.0/24", "2001:db8::/32"])[1])


def test_allowed_ips_admit_listed_addresses_only(ip_limited):
    refused = ip_limited.get("/api/v1/templates")  # the test client is 127.0.0.1
    assert refused.status_code == 403 and refused.json()["code"] == "ip_not_allowed"
    assert ip_limited.get("/api/v1/templates", REMOTE_ADDR="203.0.113.77").status_code == 200
    assert ip_limited.get("/api/v1/templates", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert ip_limited.get("/api/v1/templates", REMOTE_ADDR="::ffff:203.0.113.8").status_code == 200
    assert ip_limited.get("/api/v1/templates", REMOTE_ADDR="203.0.114.1").status_code == 403


def test_forwarded_addresses_count_only_behind_trusted_proxies(ip_limited, settings):
    spoofed = ip_limited.get("/api/v1/templates", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert spoofed.status_code == 403, "no trusted proxy: X-Forwarded-For is ignored"
    settings.TRUSTED_PROXY_COUNT = 1
    via_proxy = ip_limited.get("/api/v1/templates", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    assert via_proxy.status_code == 200
    forged_left = ip_limited.get("/api/v1/templates", HTTP_X_FORWARDED_FOR="203.0.113.5, 192.0.2.1")
    assert forged_left.status_code == 403, "only the entry our proxy wrote counts"


def test_allowed_domains_check_origin_then_referer(alice):
    client = client_for(ApiKey.issue(alice, allowed_domains=["shop.example.com", "*.brand.example"])[1])
    assert client.get("/api/v1/templates", HTTP_ORIGIN="https://shop.example.com").status_code == 200
    assert client.get("/api/v1/templates", HTTP_REFERER="https://cdn.brand.example/page").status_code == 200
    for headers in (
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://shop.example.com.evil.io/"},
        {},
        {"HTTP_ORIGIN": "null"},
    ):
        response = client.get("/api/v1/templates", **headers)
        assert response.status_code == 403 and response.json()["code"] == "origin_not_allowed", headers
