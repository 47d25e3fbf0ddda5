"""integrations/n8n: the package installs, builds with tsc and packs; its nodes,
executed by the node tests in integrations/n8n/test/ (n8n's runtime stood in
by a small context object), render, read images, subscribe and receive real
webhooks from the demo server, and a render retried after a dropped connection
is charged once."""

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parents[2] / "integrations" / "n8n"
MARKER = PACKAGE / "node_modules" / ".imagior-installed-from"


def run(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PACKAGE / name).read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def built_package():
    # npm ci only when node_modules is missing or was installed from another lock file.
    if not MARKER.exists() or MARKER.read_text() != lock_digest():
        run("npm", "ci", "--no-audit", "--no-fund")
        MARKER.write_text(lock_digest())
    run("npm", "run", "build")
    return PACKAGE


def node_env(demo, base_url: str, **extra: str) -> dict:
    return {
        **os.environ,
        "IMAGIOR_BASE_URL": base_url,
        "IMAGIOR_API_KEY": demo.live_key,
        "IMAGIOR_TEST_KEY": demo.test_key,
        "IMAGIOR_TEMPLATE": demo.template,
        **extra,
    }


def test_the_package_packs_its_compiled_nodes_and_declares_them_to_n8n(built_package):
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert "n8n-community-node-package" in manifest["keywords"]
    packed = json.loads(run("npm", "pack", "--dry-run", "--json").stdout)[0]
    files = {entry["path"] for entry in packed["files"]}
    declared = manifest["n8n"]["credentials"] + manifest["n8n"]["nodes"]
    assert declared == [
        "dist/credentials/ImagiorApi.credentials.js",
        "dist/nodes/Imagior/Imagior.node.js",
        "dist/nodes/ImagiorTrigger/ImagiorTrigger.node.js",
    ]
    assert set(declared) <= files
    assert {"dist/nodes/shared/transport.js", "dist/icons/imagior.svg", "dist/nodes/Imagior/imagior.svg"} <= files
    assert {"dist/nodes/ImagiorTrigger/imagior.svg", "package.json", "README.md"} <= files
    assert not [name for name in files if name.startswith(("test/", "node_modules/", "nodes/", "credentials/"))]


def test_the_nodes_render_read_and_trigger_against_the_server(demo, built_package):
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "test/imagior.test.js", "test/trigger.test.js"],
        cwd=PACKAGE,
        env=node_env(demo, demo.base_url),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"^# pass 10$", result.stdout, re.M), result.stdout[-3000:]
    assert re.search(r"^# fail 0$", result.stdout, re.M)
    assert demo.check_ledger().startswith("OK")


def test_a_render_retried_after_a_dropped_connection_is_charged_once(demo, built_package, dropping_proxy):
    before = demo.balance()
    dropping_proxy.drop(1, "POST", "/api/v1/images")
    result = subprocess.run(
        ["node", "--test", "test/retry.test.js"],
        cwd=PACKAGE,
        env=node_env(demo, dropping_proxy.url, IMAGIOR_DROPPING_PROXY="1"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"^# pass 1$", result.stdout, re.M), result.stdout[-3000:]
    outcome = json.loads(re.search(r"IMAGIOR_RESULT (\{.*\})", result.stdout).group(1))
    posts = [seen for seen in dropping_proxy.seen if seen["method"] == "POST"]
    assert [(p["dropped"], p["idempotency_key"]) for p in posts] == [(True, outcome["key"]), (False, outcome["key"])]
    assert demo.balance() == before - 1
    assert demo.check_ledger().startswith("OK")
