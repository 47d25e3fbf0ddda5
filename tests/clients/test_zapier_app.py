"""The Zapier app (integrations/zapier) under zapier-platform-core's own test
harness (createAppTester, run by node's test runner) against the real service:
each JS test file runs here, and the money it moves is checked from outside."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parents[2] / "integrations" / "zapier"
STAMP = APP / "node_modules" / ".imagior-lock-sha256"


@pytest.fixture(scope="module")
def zapier_app():
    """node_modules installed from package-lock.json (again when the lock changed)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the Zapier app's tests")
    lock = hashlib.sha256((APP / "package-lock.json").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != lock:
        installed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=APP, capture_output=True, text=True, timeout=300
        )
        assert installed.returncode == 0, installed.stdout + installed.stderr
        STAMP.write_text(lock)
    return APP


def run_js(tmp_path, demo, *test_files: str, **env: str) -> dict:
    """Runs files of integrations/zapier/test; returns what they reported."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        ["node", "--test", "--test-reporter=spec", *(f"test/{name}" for name in test_files)],
        cwd=APP,
        env={
            **os.environ,
            "IMAGIOR_BASE_URL": demo.base_url,
            "IMAGIOR_API_KEY": demo.live_key,
            "IMAGIOR_TEST_KEY": demo.test_key,
            "IMAGIOR_TEMPLATE": demo.template,
            "IMAGIOR_ZAP_ID": f"zap-{uuid.uuid4().hex}",
            "IMAGIOR_ZAPIER_REPORT": str(report),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(report.read_text()) if report.exists() else {}


def test_the_auth_test_passes_with_the_live_key_and_explains_a_bad_one(zapier_app, demo, tmp_path):
    before = demo.balance()
    # With the offline tests of the fields, the coercions and the Idempotency-Key.
    run_js(tmp_path, demo, "auth.test.js", "schema.test.js")
    assert demo.balance() == before


def test_the_render_fields_come_from_the_schema_and_the_render_is_a_real_png(zapier_app, demo, tmp_path):
    before = demo.balance()
    report = run_js(tmp_path, demo, "render.test.js")
    assert demo.balance() == before - 1
    image = demo.server.session(demo.live_key).get(f"{demo.base_url}/api/v1/images/{report['rendered']}", timeout=30)
    assert image.json()["status"] == "completed"


def test_a_replayed_zap_run_is_charged_once(zapier_app, demo, tmp_path):
    before = demo.balance()
    report = run_js(tmp_path, demo, "replay.test.js")
    # Three performs: a run, its replay (same image) and another run.
    assert report["replayed"] != report["other_run"]
    assert demo.balance() == before - 2


def test_a_render_whose_answer_was_lost_is_charged_once_when_zapier_retries(zapier_app, demo, dropping_proxy, tmp_path):
    before = demo.balance()
    dropping_proxy.drop(1, "POST", "/api/v1/images")
    report = run_js(tmp_path, demo, "retry.test.js", IMAGIOR_BASE_URL=dropping_proxy.url)
    renders = [seen for seen in dropping_proxy.seen if seen["method"] == "POST" and seen["path"] == "/api/v1/images"]
    assert [seen["dropped"] for seen in renders] == [True, False]
    assert renders[0]["idempotency_key"].startswith("zapier-")
    assert renders[0]["idempotency_key"] == renders[1]["idempotency_key"]
    assert demo.balance() == before - 1
    images = demo.server.session(demo.live_key).get(f"{demo.base_url}/api/v1/images?limit=5", timeout=30).json()
    lost = [
        i["id"]
        for i in images["results"]
        if any(m.get("text") == "Lost answer, one charge" for m in i["modifications"])
    ]
    assert lost == [report["retried"]]
    assert demo.check_ledger().startswith("OK")


def test_the_rest_hook_subscribes_delivers_through_perform_and_unsubscribes(zapier_app, demo, tmp_path):
    before = demo.balance()
    report = run_js(tmp_path, demo, "trigger.test.js")
    assert report["hooked"].startswith("img_")
    assert demo.balance() == before - 1
    session = demo.server.session(demo.live_key)
    assert session.get(f"{demo.base_url}/api/v1/webhooks/{report['subscription']}", timeout=30).status_code == 404
    listed = session.get(f"{demo.base_url}/api/v1/webhooks?limit=100", timeout=30).json()["results"]
    assert report["subscription"] not in [subscription["id"] for subscription in listed]


def test_the_app_packs(zapier_app):
    result = subprocess.run(
        ["npm", "pack", "--dry-run", "--json"], cwd=APP, check=True, capture_output=True, text=True, timeout=60
    )
    files = {entry["path"] for entry in json.loads(result.stdout)[0]["files"]}
    assert {
        "package.json",
        "README.md",
        "index.js",
        "authentication.js",
        "lib/api.js",
        "lib/image.js",
        "lib/schema.js",
        "triggers/imageCompleted.js",
        "triggers/templateList.js",
        "creates/renderImage.js",
        "searches/findImage.js",
    } <= files
    assert not [path for path in files if path.startswith(("node_modules/", "test/"))]


def test_the_readme_script_example_works_as_printed(zapier_app, demo):
    readme = (APP / "README.md").read_text()
    script = next(block for block in re.findall(r"```js\n(.*?)```", readme, re.S) if "createAppTester" in block)
    before = demo.balance()
    result = subprocess.run(
        ["node", "-e", script],
        cwd=APP,
        env={
            **os.environ,
            "IMAGIOR_BASE_URL": demo.base_url,
            "IMAGIOR_API_KEY": demo.live_key,
            "IMAGIOR_TEMPLATE": demo.template,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    image_id, url = result.stdout.split()[-2:]
    assert image_id.startswith("img_")
    assert url.startswith(demo.base_url) and url.endswith(".png")
    assert demo.balance() == before - 1
