"""The JavaScript client (clients/js) against the real service: its own `node --test`
suite, the retry of a render whose answer was lost (one charge), the npm tarball,
and the package loaded in Chromium calling the server from a page.
"""

import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "js"
NODE_TIMEOUT = 120


@pytest.fixture(scope="module")
def js_package():
    """clients/js with its locked dependencies installed (npm ci) when there are any and they are missing or stale."""
    lock = json.loads((PACKAGE / "package-lock.json").read_text())
    installed = PACKAGE / "node_modules" / ".package-lock.json"
    has_dependencies = any(name for name in lock.get("packages", {}))
    stale = not installed.exists() or installed.stat().st_mtime < (PACKAGE / "package-lock.json").stat().st_mtime
    if has_dependencies and stale:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True, timeout=300)
    return PACKAGE


def run_node_tests(demo, *files: str, proxy_url: str = "") -> str:
    env = {
        **os.environ,
        "IMAGIOR_BASE_URL": demo.base_url,
        "IMAGIOR_API_KEY": demo.live_key,
        "IMAGIOR_TEST_KEY": demo.test_key,
        "IMAGIOR_TEMPLATE": demo.template,
        "IMAGIOR_PROXY_URL": proxy_url,
    }
    result = subprocess.run(
        ["node", "--test", *files], cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result.stdout


def tap_count(output: str, name: str) -> int:
    return int(re.search(rf"^# {name} (\d+)$", output, re.MULTILINE).group(1))


def test_the_node_suite_passes_against_the_server(demo, js_package):
    files = sorted(str(path.relative_to(PACKAGE)) for path in (PACKAGE / "test").glob("*.test.js"))
    output = run_node_tests(demo, *files)
    assert tap_count(output, "fail") == 0
    assert tap_count(output, "pass") >= 15
    # Only the proxy's retry test (run below) and batches (not on the server yet) may skip.
    skipped = re.findall(r"^ok \d+ - (.*) # SKIP", output, re.MULTILINE)
    assert set(skipped) <= {
        "a render whose answer is lost is retried with the same key and answered",
        "batches render several items when the server has the batches API",
    }, skipped


def test_a_render_whose_answer_is_lost_is_retried_with_the_same_key_and_charged_once(demo, dropping_proxy, js_package):
    before = demo.balance()
    dropping_proxy.drop(1, "POST", "/api/v1/images")
    output = run_node_tests(demo, "test/retry.test.js", proxy_url=dropping_proxy.url)
    assert tap_count(output, "pass") == 2 and tap_count(output, "skipped") == 0, output

    renders = [s for s in dropping_proxy.seen if s["method"] == "POST" and s["path"] == "/api/v1/images"]
    assert [s["dropped"] for s in renders] == [True, False]
    assert renders[0]["idempotency_key"] and renders[0]["idempotency_key"] == renders[1]["idempotency_key"]
    assert demo.balance() == before - 1
    assert "OK" in demo.check_ledger()


def test_the_npm_tarball_installs_and_the_readme_examples_run_as_printed(demo, tmp_path, js_package):
    packed = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(tmp_path)],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    tarball = tmp_path / json.loads(packed.stdout)[0]["filename"]
    with tarfile.open(tarball) as archive:
        names = sorted(name.removeprefix("package/") for name in archive.getnames())
        manifest = json.load(archive.extractfile("package/package.json"))
    assert names == [
        "README.md",
        "package.json",
        "src/client.js",
        "src/crypto.js",
        "src/errors.js",
        "src/index.d.ts",
        "src/index.js",
        "src/signed.js",
        "src/webhooks.js",
    ]
    assert manifest["name"] == "imagior" and manifest["type"] == "module"
    assert not manifest.get("dependencies")
    assert manifest["exports"]["."]["types"] == "./src/index.d.ts"

    # Installed from the tarball into a fresh project, `import "imagior"` resolves through the exports map.
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "uses-imagior", "version": "1.0.0", "type": "module"}')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--offline", str(tarball)],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=120,
    )
    script = (
        'import Imagior, { verifyWebhook, signedUrl, NotFoundError } from "imagior";'
        "console.log(JSON.stringify([typeof Imagior, typeof verifyWebhook, typeof signedUrl, typeof NotFoundError]));"
    )
    loaded = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == ["function"] * 4

    # Every ```js block of the README runs against the server (```javascript ones are servers: not run).
    examples = re.findall(r"^```js\n(.*?)^```$", (PACKAGE / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    assert len(examples) >= 5
    # And docs/clients.md's JavaScript section: the page users copy from.
    page = (PACKAGE.parent.parent / "docs" / "clients.md").read_text()
    section = page.split("\n## JavaScript", 1)[1].split("\n## ", 1)[0]
    examples += re.findall(r"^```js\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert len(examples) >= 6
    env = {**os.environ, "IMAGIOR_BASE_URL": demo.base_url, "IMAGIOR_API_KEY": demo.live_key}
    for number, example in enumerate(examples):
        (project / f"example{number}.mjs").write_text(example)
        ran = subprocess.run(
            ["node", f"example{number}.mjs"], cwd=project, env=env, capture_output=True, text=True, timeout=60
        )
        assert ran.returncode == 0, f"{example}\n{ran.stderr}"
    assert (project / "image.png").read_bytes().startswith(b"\x89PNG")


# The API sends no CORS headers, so the page is served from the server's own origin:
# Playwright answers /__imagior-js/… with the package's files, everything else on
# that origin is the real server. The page holds only browser keys (allowed_domains).
PAGE_SCRIPT = """
async ({browserKey, foreignKey, template, signingSecret, webhook}) => {
  const m = await import("/__imagior-js/index.js");
  const out = {};
  const client = new m.Imagior({ apiKey: browserKey });  // baseUrl: the page's origin
  out.baseUrl = client.baseUrl;
  const image = await client.images.create({ template, modifications: { title: "Rendered from Chromium" } });
  out.status = image.status;
  out.sandbox = image.sandbox;
  const bitmap = await createImageBitmap(await (await fetch(image.url)).blob());
  out.bitmap = [bitmap.width, bitmap.height, image.width, image.height];
  out.secrets = (await client.account.get()).secrets;

  const missing = await client.images.get("img_doesnotexist").catch((e) => e);
  out.missing = [missing instanceof m.NotFoundError, missing.status, missing.code, /^req_/.test(missing.requestId)];
  const foreign = await new m.Imagior({ apiKey: foreignKey }).account.get().catch((e) => e);
  out.foreign = [foreign instanceof m.PermissionDeniedError, foreign.status, foreign.code];

  const pages = [];
  for await (const t of client.templates.list({ limit: 1 })) pages.push(t.id);
  out.templates = pages;

  const url = await m.signedUrl(location.origin, template, { title: "Signed in a browser (ok?)" }, signingSecret);
  const img = new Image();
  img.src = url;
  await img.decode();
  out.signed = [img.naturalWidth, img.naturalHeight];

  const event = await m.verifyWebhook(webhook.body, webhook.headers, webhook.secret);
  out.event = event.type;
  const forged = await m.verifyWebhook(webhook.body.replace("img_", "img_x"), webhook.headers, webhook.secret)
    .catch((e) => e);
  out.forged = forged instanceof m.WebhookVerificationError;
  return out;
}
"""


def browser_keys(demo, *domains: str) -> list[str]:
    """Test keys of the demo account restricted to these domains, made in one manage.py process."""
    code = (
        "from accounts.models import ApiKey, User\n"
        f"user = User.objects.get(email={demo.email!r})\n"
        f"for domain in {list(domains)!r}:\n"
        "    print(ApiKey.issue(user, name='JS client in ' + domain, mode='test', allowed_domains=[domain])[1])\n"
    )
    return re.findall(r"\bimk_test_[0-9A-Za-z]+", demo.server.manage("shell", "-c", code))


def test_the_package_works_in_chromium_against_the_server(demo, js_package):
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run bin/ensure-chromium (make test does).")
    # A delivery signed as the server signs them (the standardwebhooks package).
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"type": "image.completed", "created_at": "2026-12-08T00:00:00Z", "data": {"id": "img_abc"}})
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_browser",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_browser", now, body),
    }
    signing_secret = (
        demo.server.session(demo.live_key)
        .get(f"{demo.base_url}/api/v1/account", timeout=30)
        .json()["secrets"]["url_signing"]
    )
    page_key, foreign_key = browser_keys(demo, "127.0.0.1", "example.com")
    files = {p.name: p.read_bytes() for p in (PACKAGE / "src").glob("*.js")}
    errors = []

    def serve_package(route):
        name = route.request.url.rsplit("/", 1)[-1]
        if name == "index.html":
            route.fulfill(
                body="<!doctype html><title>imagior</title><link rel='icon' href='data:,'>", content_type="text/html"
            )
        elif name in files:
            route.fulfill(body=files[name], content_type="text/javascript")
        else:
            route.fulfill(status=404)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.route(f"{demo.base_url}/__imagior-js/**", serve_package)
            page.goto(f"{demo.base_url}/__imagior-js/index.html")
            out = page.evaluate(
                PAGE_SCRIPT,
                {
                    "browserKey": page_key,
                    "foreignKey": foreign_key,
                    "signingSecret": signing_secret,
                    "template": demo.template,
                    "webhook": {"body": body, "headers": headers, "secret": secret},
                },
            )
        finally:
            browser.close()

    assert out["baseUrl"] == demo.base_url
    assert out["status"] == "completed" and out["sandbox"] is True
    assert out["bitmap"] == [1200, 630, 1200, 630]
    assert out["secrets"] is None
    assert out["missing"] == [True, 404, "not_found", True]
    assert out["foreign"] == [True, 403, "origin_not_allowed"]
    assert demo.template in out["templates"] and len(out["templates"]) == len(set(out["templates"])) >= 2
    assert out["signed"] == [1200, 630]
    assert out["event"] == "image.completed" and out["forged"] is True
    # Chromium logs the 404 and the 403 above as failed resource loads; nothing else may fail.
    assert [e for e in errors if "404" not in e and "403" not in e] == []


CROSS_SITE_SCRIPT = """
async ({ baseUrl, shopKey, template }) => {
  const m = await import("/imagior/index.js");
  const client = new m.Imagior({ apiKey: shopKey, baseUrl });
  const image = await client.images.create({ template, modifications: { title: "From another site" } });
  const account = await client.account.get();
  return [location.origin, image.status, image.sandbox, account.secrets];
}
"""


def test_a_page_on_another_site_calls_the_api_with_its_browser_key(demo, js_package, tmp_path):
    """CORS: the page comes from its own web server (another port, so another origin) and calls the API."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run bin/ensure-chromium (make test does).")
    (shop_key,) = browser_keys(demo, "127.0.0.1")
    shutil.copytree(PACKAGE / "src", tmp_path / "imagior")
    (tmp_path / "index.html").write_text("<!doctype html><title>shop</title><link rel='icon' href='data:,'>")
    shop = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    shop_origin = f"http://127.0.0.1:{shop.server_port}"
    errors = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("console", lambda message: message.type == "error" and errors.append(message.text))
                page.goto(f"{shop_origin}/index.html")
                out = page.evaluate(
                    CROSS_SITE_SCRIPT, {"baseUrl": demo.base_url, "shopKey": shop_key, "template": demo.template}
                )
            finally:
                browser.close()
    finally:
        shop.shutdown()
    assert shop_origin != demo.base_url
    assert out == [shop_origin, "completed", True, None]
    assert errors == []


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
