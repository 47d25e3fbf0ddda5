"""The Python client (clients/python, package `imagior`) against the real service."""

import ast
import asyncio
import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clients" / "python"


def load_client():
    """The client package from its source. It is called `imagior` like the Django
    project's own package, which this process has already imported: load it under
    another name (its modules import each other relatively)."""
    source = PACKAGE / "src" / "imagior"
    spec = importlib.util.spec_from_file_location(
        "imagior_client", source / "__init__.py", submodule_search_locations=[str(source)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["imagior_client"] = module
    spec.loader.exec_module(module)
    return module


imagior = load_client()
Imagior, AsyncImagior = imagior.Imagior, imagior.AsyncImagior

pytestmark = pytest.mark.e2e


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def live(demo):
    with Imagior(api_key=demo.live_key, base_url=demo.base_url) as client:
        yield client


@pytest.fixture
def sandbox(demo):
    with Imagior(api_key=demo.test_key, base_url=demo.base_url) as client:
        yield client


def test_a_render_is_an_image_with_every_field_as_an_attribute_and_charges_one_credit(demo, live):
    before = demo.balance()
    image = live.images.create(template=demo.template, modifications={"title": "From Python"}, format="png")
    assert isinstance(image, imagior.Image)
    assert image.status == "completed" and image.id.startswith("img_")
    assert image.template == demo.template and image.credits_used == 1 and image.sandbox is False
    for field, value in image.to_dict().items():
        assert getattr(image, field) == value == image[field]
    assert image.modifications[0].name  # nested objects have attributes too
    assert png_size(live.images.download(image)) == (image.width, image.height)
    assert live.images.get(image.id).to_dict() == image.to_dict()
    assert demo.balance() == before - 1


def test_wait_sends_an_async_render_and_polls_until_it_ends(demo, dropping_proxy):
    with Imagior(api_key=demo.test_key, base_url=dropping_proxy.url) as client:
        image = client.images.create(template=demo.template, modifications={"title": "Waited"}, wait=True)
    assert image.status == "completed" and image.sandbox is True
    assert png_size(httpx.get(image.url).content) == (image.width, image.height)
    polls = [s for s in dropping_proxy.seen if s["method"] == "GET" and s["path"] == f"/api/v1/images/{image.id}"]
    assert polls, dropping_proxy.seen  # the POST answered "pending" (async), then the client polled


def test_the_async_client_renders_waits_and_pages(demo):
    async def main():
        async with AsyncImagior(api_key=demo.test_key, base_url=demo.base_url) as client:
            rendered = await client.images.create(template=demo.template, modifications={"title": "async"})
            waited = await client.images.create(template=demo.template, modifications={"title": "awaited"}, wait=True)
            listed = [image.id async for image in client.images.list(limit=2)]
            account = await client.account.get()
            return rendered, waited, listed, account

    rendered, waited, listed, account = asyncio.run(main())
    assert rendered.status == "completed" and waited.status == "completed"
    assert png_size(httpx.get(waited.url).content) == (waited.width, waited.height)
    assert listed[:2] == [waited.id, rendered.id]  # newest first, across pages of two
    assert account.key.mode == "test"


def test_lists_walk_every_page(demo, sandbox):
    session = demo.server.session(demo.test_key)
    for _ in range(3 - sandbox.images.list().first_page().count):
        sandbox.images.create(template=demo.template, modifications={"title": "for the list"})
    everything = session.get(f"{demo.base_url}/api/v1/images?limit=100", timeout=30).json()
    assert 3 <= everything["count"] <= 100

    pager = sandbox.images.list(limit=2)
    pages = list(pager.pages())
    assert len(pages) == (everything["count"] + 1) // 2
    assert [image.id for image in pager] == [image["id"] for image in everything["results"]]
    assert all(isinstance(image, imagior.Image) for image in pages[-1].results)

    templates = session.get(f"{demo.base_url}/api/v1/templates?limit=100", timeout=30).json()["results"]
    assert [t.name for t in sandbox.templates.list(limit=1)] == [t["name"] for t in templates]
    assert any(font.family == "Inter" for font in sandbox.fonts.list())


def test_a_bad_key_is_an_authentication_error(demo):
    client = Imagior(api_key="imk_live_" + "x" * 32, base_url=demo.base_url)
    with client, pytest.raises(imagior.AuthenticationError) as caught:
        client.account.get()
    error = caught.value
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert error.request_id and error.request_id.startswith("req_")


def test_an_unknown_template_is_not_found_and_bad_modifications_a_validation_error(demo, sandbox):
    with pytest.raises(imagior.NotFoundError) as caught:
        sandbox.images.create(template="tpl_doesnotexist", modifications={})
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert caught.value.request_id.startswith("req_")

    with pytest.raises(imagior.ValidationError) as caught:
        sandbox.images.create(template=demo.template, modifications={"no_such_element": "x"})
    assert caught.value.status == 400 and caught.value.code == "unknown_element"
    assert caught.value.request_id.startswith("req_")

    with pytest.raises(imagior.ValidationError) as caught:
        sandbox.images.create(template=demo.template, format="gif")
    assert caught.value.code == "validation_error" and caught.value.errors


def test_an_empty_balance_is_insufficient_credits_and_a_busy_minute_a_rate_limit(demo):
    email = f"broke-{uuid.uuid4().hex[:8]}@example.com"
    demo.server.manage("create_account", email, "--plan", "free", "--credits", "0")
    key = demo.server.manage("create_api_key", email).strip().splitlines()[-1]
    with Imagior(api_key=key, base_url=demo.base_url, max_retries=0) as client:
        template = client.templates.create(
            name="Tiny",
            width=40,
            height=20,
            elements=[{"type": "rect", "name": "box", "x": 0, "y": 0, "width": 40, "height": 20, "fill": "#ff0000"}],
        )
        with pytest.raises(imagior.InsufficientCreditsError) as caught:
            client.images.create(template=template.id)
        assert (caught.value.status, caught.value.code) == (403, "insufficient_credits")
        assert isinstance(caught.value, imagior.PermissionDeniedError)
        assert client.account.get().credits.balance == 0

        with pytest.raises(imagior.RateLimitError) as caught:
            for _ in range(client.account.get().plan.rate_limit_per_minute + 1):
                client.account.get()
    assert (caught.value.status, caught.value.code) == (429, "rate_limited")
    assert 0 < caught.value.retry_after <= 60


def test_a_render_whose_answer_is_lost_is_retried_with_the_same_key_and_charged_once(demo, dropping_proxy):
    before = demo.balance()
    dropping_proxy.drop(1)
    with Imagior(api_key=demo.live_key, base_url=dropping_proxy.url) as client:
        image = client.images.create(template=demo.template, modifications={"title": "retried"})
    assert image.status == "completed"
    posts = [s for s in dropping_proxy.seen if s["method"] == "POST"]
    assert [s["dropped"] for s in posts] == [True, False]
    assert posts[0]["idempotency_key"] and posts[0]["idempotency_key"] == posts[1]["idempotency_key"]
    assert demo.balance() == before - 1
    assert demo.check_ledger().strip().startswith("OK:")


def test_the_async_client_retries_the_same_way(demo, dropping_proxy):
    before = demo.balance()
    dropping_proxy.drop(2)

    async def main():
        async with AsyncImagior(api_key=demo.live_key, base_url=dropping_proxy.url) as client:
            return await client.images.create(template=demo.template, modifications={"title": "retried twice"})

    image = asyncio.run(main())
    posts = [s for s in dropping_proxy.seen if s["method"] == "POST"]
    assert [s["dropped"] for s in posts] == [True, True, False]
    assert len({s["idempotency_key"] for s in posts}) == 1
    assert image.status == "completed" and demo.balance() == before - 1


def test_no_answer_after_every_retry_is_a_connection_error(demo, dropping_proxy):
    dropping_proxy.drop(2, method="GET", path="/api/v1/account")
    client = Imagior(api_key=demo.test_key, base_url=dropping_proxy.url, max_retries=1)
    with client, pytest.raises(imagior.APIConnectionError):
        client.account.get()
    assert len(dropping_proxy.seen) == 2


class Receiver(BaseHTTPRequestHandler):
    deliveries: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.deliveries.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.deliveries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver.deliveries
    server.shutdown()


def test_verify_webhook_accepts_a_real_delivery_and_refuses_a_tampered_one(demo, sandbox, receiver):
    url, deliveries = receiver
    subscription = sandbox.webhooks.create(url=url, events=["image.completed"])
    assert subscription.secret.startswith("whsec_")
    try:
        image = sandbox.images.create(template=demo.template, modifications={"title": "hooked"})
        deadline = time.monotonic() + 20
        while not deliveries and time.monotonic() < deadline:
            time.sleep(0.1)
        assert deliveries, "no delivery arrived"
        headers, body = deliveries[0]
        event = imagior.verify_webhook(body, headers, subscription.secret)
        assert event.type == "image.completed"
        assert isinstance(event.data, imagior.Image) and event.data.id == image.id
        assert imagior.verify_webhook(body.decode(), headers, subscription.secret).data.id == image.id

        with pytest.raises(imagior.WebhookVerificationError):
            imagior.verify_webhook(body.replace(b"completed", b"c0mpleted"), headers, subscription.secret)
        with pytest.raises(imagior.WebhookVerificationError):
            imagior.verify_webhook(body, headers, "whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==")
        with pytest.raises(imagior.WebhookVerificationError):
            imagior.verify_webhook(body, headers, subscription.secret, now=time.time() + 3600)
    finally:
        sandbox.webhooks.delete(subscription)
    with pytest.raises(imagior.NotFoundError):
        sandbox.webhooks.get(subscription.id)


def test_a_signed_url_renders_on_the_server(demo, live):
    secret = live.account.get().secrets.url_signing
    modifications = {"title": "Signed from Python & friends", "title.color": "#ff0000"}
    url = imagior.signed_url(demo.base_url, demo.template, modifications, secret)
    assert url.startswith(f"{demo.base_url}/i/{demo.template}.png?")
    answer = requests.get(url, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "image/png"
    template = live.templates.get(demo.template)
    assert png_size(answer.content) == (template.width, template.height)

    same = imagior.signed_url(demo.base_url, demo.template, {"title": {"text": modifications["title"]}}, secret)
    assert requests.get(same, timeout=60).status_code == 200
    forged = imagior.signed_url(demo.base_url, demo.template, modifications, "uss_not_the_secret")
    refused = requests.get(forged, timeout=30)
    assert refused.status_code == 403 and refused.json()["code"] == "invalid_signature"


def test_the_key_and_address_come_from_the_environment(demo, monkeypatch):
    monkeypatch.setenv("IMAGIOR_API_KEY", demo.test_key)
    monkeypatch.setenv("IMAGIOR_BASE_URL", demo.base_url + "/")
    with Imagior() as client:
        assert client.account.get().key.mode == "test"
        assert client.usage.get(days=2).totals.requests >= 1
    monkeypatch.delenv("IMAGIOR_API_KEY")
    with pytest.raises(imagior.ImagiorError):
        Imagior()


def test_retry_after_sets_the_wait_and_backoff_grows_with_jitter():
    _core = sys.modules["imagior_client._core"]

    limited = httpx.Response(429, headers={"Retry-After": "7"})
    assert _core._delay(0, limited) == 7
    waits = [_core._delay(attempt, None) for attempt in range(4) for _ in range(20)]
    assert all(0.25 <= w <= 0.5 for w in waits[:20]) and all(2 <= w <= 4 for w in waits[60:])
    assert len(set(waits[:20])) > 1


def test_the_package_builds_a_wheel_with_its_types(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("imagior-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"imagior/__init__.py", "imagior/py.typed", "imagior/_async_client.py"} <= set(names)
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Python: >=3.9" in text and "Requires-Dist: httpx" in text


def test_the_readme_examples_work_as_printed(demo, live, tmp_path):
    readme = (PACKAGE / "README.md").read_text()
    examples = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(examples) >= 8
    # docs/clients.md's Python section too: the page users copy from.
    page = (PACKAGE.parent.parent / "docs" / "clients.md").read_text()
    section = page.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    examples += re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(examples) >= 10
    env = {
        **os.environ,
        "IMAGIOR_API_KEY": demo.live_key,
        "IMAGIOR_BASE_URL": demo.base_url,
        "PYTHONPATH": str(PACKAGE / "src"),
    }
    # One interpreter for all of them (each in a fresh namespace), outside the repository's root.
    runner = "import json, sys\nfor example in json.load(sys.stdin):\n    exec(example, {'__name__': '__main__'})"
    try:
        result = subprocess.run(
            [sys.executable, "-c", runner],
            input=json.dumps(examples),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
    finally:
        for hook in live.webhooks.list():
            if hook.url == "https://example.com/imagior":
                live.webhooks.delete(hook)
    assert png_size((tmp_path / "card.png").read_bytes())[0] > 0


def test_the_package_is_python_3_9_syntax():
    for source in (PACKAGE / "src" / "imagior").glob("*.py"):
        ast.parse(source.read_text(), filename=str(source), feature_version=(3, 9))
