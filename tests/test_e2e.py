"""The whole path through real processes: make run's server, the management
commands, and plain HTTP, as a new user would try it."""

import io
import json
import re
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from tests.conftest import find_key, last_line

pytestmark = pytest.mark.e2e

CARD = {
    "name": "Race card",
    "width": 300,
    "height": 200,
    "background": "#101010",
    "elements": [
        {
            "name": "title",
            "type": "text",
            "x": 10,
            "y": 10,
            "width": 280,
            "height": 80,
            "text": "Hi",
            "color": "#ffffff",
        }
    ],
}


def test_the_demo_banner_prints_login_keys_and_a_working_curl(server):
    banner = server.banner
    assert "demo@imagior.dev" in banner and "imagior-demo" in banner
    live, test = find_key(banner, "live"), find_key(banner, "test")
    account = server.session(live).get(f"{server.base_url}/api/v1/account").json()
    assert account["email"] == "demo@imagior.dev" and account["key"]["mode"] == "live"
    templates = server.session(test).get(f"{server.base_url}/api/v1/templates").json()
    assert sorted(t["name"] for t in templates["results"]) == ["Blog card", "Quote square"]

    curl = re.search(r"(curl (?:.*\\\n)*.*)", banner).group(1).replace("\\\n", " ")
    result = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=60)
    image = requests.get(json.loads(result.stdout)["url"], timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(image.content))
    assert picture.size == (1200, 630)
    assert picture.convert("RGB").getpixel((5, 5)) != (255, 255, 255)


def test_twenty_parallel_renders_against_five_credits_make_exactly_five_images(server):
    server.manage("create_account", "race@example.com", "--plan", "starter", "--credits", "5")
    key = last_line(server.manage("create_api_key", "race@example.com", "--name", "race"))
    api = server.session(key)
    template = api.post(f"{server.base_url}/api/v1/templates", json=CARD).json()

    def render(_):
        response = requests.post(
            f"{server.base_url}/api/v1/images",
            json={"template": template["id"]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        return response.status_code, response.json().get("code")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(render, range(20)))

    assert results.count((201, None)) == 5, results
    assert results.count((403, "insufficient_credits")) == 15, results
    assert api.get(f"{server.base_url}/api/v1/account").json()["credits"]["balance"] == 0
    assert api.get(f"{server.base_url}/api/v1/images").json()["count"] == 5
    books = server.manage(
        "shell",
        "-c",
        "from django.db.models import Sum; from billing.models import LedgerEntry as L;"
        "rows = L.objects.filter(account__user__email='race@example.com');"
        "print(rows.filter(kind='render').count(), rows.aggregate(s=Sum('amount'))['s'])",
    )
    assert books.strip().splitlines()[-1].split() == ["5", "0"]


def test_bad_keys_get_401_with_www_authenticate_over_http(server):
    response = requests.get(
        f"{server.base_url}/api/v1/templates", headers={"Authorization": "Bearer imk_live_wrong"}, timeout=10
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_api_key"


def test_an_oversized_body_is_a_413_problem_over_http(server):
    key = find_key(server.banner, "test")
    response = requests.post(
        f"{server.base_url}/api/v1/templates",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_parallel_refunds_of_one_failed_image_refund_once(server):
    server.manage("create_account", "refunds@example.com", "--credits", "5")
    setup = (
        "from accounts.models import User; from billing import ledger;"
        "ledger.charge_credits(User.objects.get(email='refunds@example.com'), cost=1, reference='img_refundrace')"
    )
    server.manage("shell", "-c", setup)
    refund = (
        "from accounts.models import User; from billing import ledger;"
        "print(ledger.refund_credits(User.objects.get(email='refunds@example.com'), reference='img_refundrace'))"
    )
    processes = [server.spawn_manage("shell", "-c", refund) for _ in range(6)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    answers = [stdout.strip().splitlines()[-1] for stdout, _ in outputs]
    assert sorted(answers) == ["5"] + ["None"] * 5, answers
    books = server.manage(
        "shell",
        "-c",
        "from billing.models import LedgerEntry as L;"
        "print(L.objects.filter(reference='img_refundrace', kind='refund').count())",
    )
    assert books.strip().splitlines()[-1] == "1"


def test_plan_changes_and_top_ups_show_in_the_account_at_once(server):
    server.manage("create_account", "buyer@example.com")
    key = last_line(server.manage("create_api_key", "buyer@example.com"))
    api = server.session(key)
    server.manage("change_plan", "buyer@example.com", "starter")
    server.manage("buy_credits", "buyer@example.com", "pack-500")
    account = api.get(f"{server.base_url}/api/v1/account").json()
    assert account["plan"]["slug"] == "starter"
    assert account["credits"]["balance"] == 1000 + 500


def test_zz_the_ledger_has_no_drift_after_everything_else(server):
    # Named to run last in this module: every test above moved money.
    assert "OK:" in server.manage("check_ledger")


def test_concurrent_duplicates_with_one_idempotency_key_render_once(server):
    server.manage("create_account", "dupes@example.com", "--plan", "starter", "--credits", "10")
    key = last_line(server.manage("create_api_key", "dupes@example.com"))
    api = server.session(key)
    template = api.post(f"{server.base_url}/api/v1/templates", json=CARD).json()

    def render(_):
        response = requests.post(
            f"{server.base_url}/api/v1/images",
            json={"template": template["id"]},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "burst-1"},
            timeout=90,
        )
        return response.status_code, response.json().get("id")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(render, range(6)))
    assert {status for status, _ in results} == {201}, results
    assert len({image for _, image in results}) == 1
    assert api.get(f"{server.base_url}/api/v1/account").json()["credits"]["balance"] == 9


def test_an_async_render_completes_in_the_worker_and_calls_back_signed(server):
    from standardwebhooks.webhooks import Webhook

    from webhooks.tests.receiver import start_receiver

    receiver, receiver_server = start_receiver()
    try:
        server.manage("create_account", "async@example.com", "--plan", "starter")
        key = last_line(server.manage("create_api_key", "async@example.com"))
        api = server.session(key)
        template = api.post(f"{server.base_url}/api/v1/templates", json=CARD).json()
        response = api.post(
            f"{server.base_url}/api/v1/images",
            json={"template": template["id"], "async": True, "callback_url": receiver.url},
        )
        assert response.status_code == 202 and response.json()["status"] == "pending"
        image_id = response.json()["id"]
        [request] = receiver.wait_for(1, timeout=60)
        secret = api.get(f"{server.base_url}/api/v1/account").json()["secrets"]["callback"]
        payload = Webhook(secret).verify(request["body"], request["headers"])
        assert payload["type"] == "image.completed" and payload["data"]["id"] == image_id
        image = api.get(f"{server.base_url}/api/v1/images/{image_id}").json()
        assert image["status"] == "completed"
        assert requests.get(image["url"], timeout=10).headers["Content-Type"] == "image/png"
    finally:
        receiver_server.shutdown()


def test_exactly_the_plans_requests_pass_before_a_429(server):
    server.manage("create_account", "limits@example.com")  # Free: 10 per minute
    key = last_line(server.manage("create_api_key", "limits@example.com"))
    api = server.session(key)
    first = api.get(f"{server.base_url}/api/v1/templates")
    if int(first.headers["RateLimit-Reset"]) < 10:  # start a fresh window, so no count resets mid-test
        time.sleep(int(first.headers["RateLimit-Reset"]) + 1)
        first = api.get(f"{server.base_url}/api/v1/templates")
    statuses = [first.status_code] + [api.get(f"{server.base_url}/api/v1/templates").status_code for _ in range(10)]
    assert statuses == [200] * 10 + [429]
    limited = api.get(f"{server.base_url}/api/v1/templates")
    assert limited.json()["code"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0
