"""The dashboard's docs page (dashboard/docs.py): the user's own ids, the error table,
and snippets that are run here so the page cannot drift from what the server does."""

import base64
import html
import json
import re
import shutil
import subprocess
import time
from contextlib import redirect_stdout
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from accounts.models import ApiKey, new_webhook_secret
from dashboard import docs as quick_start
from templates_app import services
from webhooks import services as webhooks

URL = "/dashboard/docs"
NODE = shutil.which("node")
# docs/api.md, copied by hand: the page must show every one of these.
SPEC_CODES = {
    400: ["invalid_json", "validation_error", "unknown_element", "image_fetch_failed", "output_too_large"],
    401: ["authentication_required", "invalid_api_key"],
    403: ["insufficient_credits", "ip_not_allowed", "origin_not_allowed", "invalid_signature"],
    404: ["not_found"],
    405: ["method_not_allowed"],
    409: ["idempotency_conflict"],
    413: ["payload_too_large"],
    429: ["rate_limited"],
    500: ["render_failed", "internal_error"],
}
CARD = {
    "name": "Launch card",
    "width": 300,
    "height": 150,
    "background": "#ffffff",
    "elements": [
        {"name": "headline", "type": "text", "width": 280, "height": 60, "text": "Hello, Ada"},
        {"name": "band", "type": "rect", "y": 120, "width": 300, "height": 30, "fill": "#ff0000"},
    ],
}


@pytest.fixture
def card(alice):
    return services.create_template(owner=alice, data=CARD)


def code_blocks(response) -> list[str]:
    """The text of every copyable code block of the quick start, as a user would copy it
    (the libraries and integrations section has its own, below)."""
    page = re.sub(r'<section class="card" id="integrations".*?</section>', "", response.content.decode(), flags=re.S)
    return [html.unescape(text).strip() for text in re.findall(r'<code x-ref="source">(.*?)</code>', page, re.S)]


def test_it_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/login")


def test_it_is_in_the_dashboard_navigation(alice_client):
    page = alice_client.get("/dashboard/").content.decode()
    assert f'href="{URL}"' in page


def test_it_shows_the_users_own_template_and_not_another_accounts(alice_client, card, bob):
    bobs = services.create_template(owner=bob, data={**CARD, "name": "Bob's card"})
    response = alice_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert card.public_id in page and "headline" in page and "band" in page
    assert bobs.public_id not in page
    render = code_blocks(response)[0]
    assert f'"template": "{card.public_id}"' in render
    assert '"name": "headline"' in render and '"text": "Hello, Ada"' in render


def test_it_shows_key_prefixes_but_never_a_key(alice_client, alice, bob):
    key, raw = ApiKey.issue(alice, name="laptop")
    _, bobs_raw = ApiKey.issue(bob, name="bob's")
    page = alice_client.get(URL).content.decode()
    assert key.prefix in page and "laptop" in page
    assert raw not in page and bobs_raw not in page
    assert "YOUR_API_KEY" in page
    assert alice.url_signing_secret not in page and alice.callback_secret not in page
    assert "YOUR_URL_SIGNING_SECRET" in page


def test_without_a_template_it_uses_a_placeholder_and_links_to_create_one(alice_client):
    response = alice_client.get(URL)
    page = response.content.decode()
    assert 'data-testid="docs-empty"' in page
    assert quick_start.PLACEHOLDER_TEMPLATE in code_blocks(response)[0]
    assert 'href="/dashboard/templates/new"' in page


@pytest.mark.parametrize("language", ["curl", "python", "javascript"])
def test_every_example_is_shown_in_each_language(alice_client, card, language):
    response = alice_client.get(URL, {"lang": language})
    blocks = code_blocks(response)
    # render, async, list, edit, idempotency, signed URL, then three webhook checks
    assert len(blocks) == 9
    _render, run_async, listing, edit, idempotent = blocks[:5]
    assert "callback_url" in run_async and re.search(r"limit(=|: )20", listing)
    assert "YOUR_URL_SIGNING_SECRET" in blocks[5]
    if language == "curl":  # raw HTTP
        assert all("YOUR_API_KEY" in block for block in blocks[:5])
        assert "/edit" in edit and "Idempotency-Key" in idempotent
    else:  # the client libraries
        assert all(
            "from imagior import Imagior" in block or 'import Imagior from "imagior"' in block for block in blocks[:5]
        )
        assert "images.edit(" in edit and ("idempotency_key=" in idempotent or "idempotencyKey:" in idempotent)
        assert "requests" not in "".join(blocks[:5]) and "fetch(" not in "".join(blocks[:5])


@pytest.mark.parametrize("language", ["curl", "python", "javascript"])
def test_each_example_and_each_paragraph_appears_once(alice_client, alice, card, language):
    services.render_image(owner=alice, template_id=card.public_id, sandbox=True)
    page = alice_client.get(URL, {"lang": language}).content.decode()
    every_block = [html.unescape(b).strip() for b in re.findall(r'<code x-ref="source">(.*?)</code>', page, re.S)]
    assert len(every_block) == len(set(every_block))
    paragraphs = [p for p in re.findall(r"<p[^>]*>(.*?)</p>", page, re.S) if len(p) > 40]
    assert len(paragraphs) == len(set(paragraphs))
    for slug in ("render", "render-async", "list", "edit", "idempotency", "signed-urls", "webhooks", "errors"):
        assert page.count(f'id="{slug}"') == 1, slug
    # A client's own tab shows its render example once, and the libraries section points up to it.
    if language == "python":
        assert 'data-testid="integration-python-client"' not in page
        assert 'data-testid="integration-js-client"' in page
    if language == "javascript":
        assert 'data-testid="integration-js-client"' not in page
        assert 'data-testid="integration-python-client"' in page


def test_the_contents_link_to_every_section(alice_client, card):
    page = alice_client.get(URL).content.decode()
    toc = re.search(r'<nav[^>]*data-testid="docs-toc".*?</nav>', page, re.S).group(0)
    targets = re.findall(r'href="#([\w-]+)"', toc)
    sections = re.findall(r'<section class="card" id="([\w-]+)"', page)
    assert targets == sections and len(targets) == 10
    assert "signed-urls" in targets and "errors" in targets


def test_the_template_picker_switches_template_and_keeps_the_language(alice_client, alice, card):
    other = services.create_template(owner=alice, data={**CARD, "name": "Second card"})
    page = alice_client.get(URL).content.decode()
    picker = re.search(r'<form method="get"[^>]*data-testid="docs-template-picker".*?</form>', page, re.S).group(0)
    assert card.public_id in picker and other.public_id in picker and 'name="template"' in picker
    chosen = alice_client.get(URL, {"template": other.public_id, "lang": "python"})
    assert f'template="{other.public_id}"' in code_blocks(chosen)[0]
    assert f'<option value="{other.public_id}" selected>' in chosen.content.decode()
    assert f'href="?lang=curl&amp;template={other.public_id}' in chosen.content.decode()


def test_the_picker_refuses_another_accounts_template(alice_client, card, bob):
    bobs = services.create_template(owner=bob, data={**CARD, "name": "Bob's card"})
    response = alice_client.get(URL, {"template": bobs.public_id})
    assert response.status_code == 200
    assert bobs.public_id not in response.content.decode()
    assert f'"template": "{card.public_id}"' in code_blocks(response)[0]


def test_the_python_examples_are_valid_python(alice_client, card):
    for block in code_blocks(alice_client.get(URL, {"lang": "python"}))[:-1]:  # the last is Node's
        compile(block, "<docs>", "exec")


def test_every_spec_error_code_is_in_the_table(alice_client):
    page = alice_client.get(URL).content.decode()
    row = r'<td data-label="Status" class="num">(\d+)</td>\s*<td data-label="Code"><code>(\w+)</code>'
    rows = re.findall(row, page)
    shown = {(int(status), code) for status, code in rows}
    for status, codes in SPEC_CODES.items():
        for code in codes:
            assert (status, code) in shown, code


def test_the_links_to_the_openapi_reference_work(alice_client):
    page = alice_client.get(URL).content.decode()
    assert 'href="/api/docs/"' in page and 'href="/api/v1/openapi.json"' in page
    assert alice_client.get("/api/v1/openapi.json").status_code == 200


# --- the snippets, run ------------------------------------------------------------


def a_delivery(secret: str) -> tuple[dict, bytes]:
    """Headers and body as webhooks/services.py sends them."""
    body = json.dumps({"type": "image.completed", "created_at": "2026-01-01T00:00:00Z", "data": {"id": "img_1"}})
    timestamp = int(time.time())
    headers = {
        "webhook-id": "msg_2Ab",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.sign(secret, "msg_2Ab", timestamp, body),
    }
    return headers, body.encode()


def test_the_plain_hmac_snippet_verifies_a_real_delivery(alice_client):
    assert quick_start.WEBHOOK_PYTHON_HMAC.strip() in code_blocks(alice_client.get(URL))
    namespace: dict = {}
    exec(quick_start.WEBHOOK_PYTHON_HMAC, namespace)  # noqa: S102 — our own snippet
    verify = namespace["verify"]
    secret = new_webhook_secret()
    headers, body = a_delivery(secret)
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(new_webhook_secret(), headers, body)
    stale = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 600)}
    assert not verify(secret, stale, body)


def test_the_standardwebhooks_snippet_verifies_a_real_delivery():
    secret = new_webhook_secret()
    namespace: dict = {}
    exec(quick_start.WEBHOOK_PYTHON_STANDARD.replace("YOUR_CALLBACK_SECRET", secret), namespace)  # noqa: S102
    headers, body = a_delivery(secret)
    assert namespace["verified_event"](body, headers)["data"] == {"id": "img_1"}
    assert namespace["verified_event"](body + b" ", headers) is None
    assert Webhook(secret).verify(body, headers)  # and the package agrees with webhooks.sign


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_node_snippet_verifies_a_real_delivery(tmp_path):
    secret = new_webhook_secret()
    headers, body = a_delivery(secret)
    script = tmp_path / "verify.mjs"
    script.write_text(
        quick_start.WEBHOOK_NODE
        + f"\nconst headers = {json.dumps(headers)};\nconst body = {json.dumps(body.decode())};\n"
        + f'console.log(verify("{secret}", headers, body), verify("{secret}", headers, body + " "));\n'
    )
    result = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.split() == ["true", "false"]


def test_the_signed_url_snippet_makes_a_url_the_server_renders(alice_client, alice, card):
    recipe = code_blocks(alice_client.get(URL, {"lang": "python"}))[5]
    output = StringIO()
    with redirect_stdout(output):
        exec(recipe.replace("YOUR_URL_SIGNING_SECRET", alice.url_signing_secret), {})  # noqa: S102
    url = urlsplit(output.getvalue().strip())
    response = Client().get(f"{url.path}?{url.query}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"

    if NODE:  # the Node recipe signs the same URL
        node = code_blocks(alice_client.get(URL, {"lang": "javascript"}))[5]
        script = node.replace("YOUR_URL_SIGNING_SECRET", alice.url_signing_secret)
        result = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
        assert result.stdout.strip() == output.getvalue().strip()


def test_a_secret_is_the_base64_key_the_snippets_expect():
    # The snippets strip "whsec_" and base64-decode the rest, as webhooks.sign does.
    assert len(base64.b64decode(new_webhook_secret().removeprefix("whsec_"))) >= 24


def integration_block(page: str, slug: str) -> str:
    """The code a user copies from one entry of the libraries and integrations section."""
    block = page.split(f'data-testid="integration-{slug}"', 1)[1]
    return html.unescape(re.search(r'<code x-ref="source">(.*?)</code>', block, re.S).group(1))


def test_it_shows_each_client_and_integration_with_the_users_template(alice_client, card):
    page = alice_client.get("/dashboard/docs").content.decode()
    for slug in ("python-client", "js-client", "zapier", "n8n", "make"):
        assert card.public_id in integration_block(page, slug), slug
    assert '"command": "imagior-mcp"' in integration_block(page, "mcp")
    python = integration_block(page, "python-client")
    compile(python, "python-client", "exec")
    assert '"name": "headline"' in python and "client.images.create(" in python
    assert python == code_blocks(alice_client.get(URL, {"lang": "python"}))[0]  # the Python tab's render example


PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PICTURES = {
    **CARD,
    "elements": [
        *CARD["elements"],
        {"name": "logo", "type": "image", "x": 10, "y": 10, "width": 20, "height": 20, "src": PIXEL},
        {"name": "hero", "type": "image", "width": 50, "height": 50, "src": "https://cdn.example.net/team/hero.png"},
    ],
}


def test_image_elements_are_shown_with_their_own_url_or_left_out(alice_client, alice):
    template = services.create_template(owner=alice, data=PICTURES)
    page = alice_client.get(URL).content.decode()
    render = code_blocks(alice_client.get(URL))[0]
    assert template.public_id in render
    assert "example.com/photo.jpg" not in page
    assert "https://cdn.example.net/team/hero.png" in render  # the picture the template renders already
    assert "logo" not in render and "data:image" not in render  # embedded: the template's own is used


def test_the_docs_modifications_render_as_they_are(alice, sandbox_api):
    template = services.create_template(owner=alice, data={**PICTURES, "elements": PICTURES["elements"][:3]})
    modifications = quick_start.modifications_for(template.elements)
    answer = sandbox_api.post(
        "/api/v1/images", {"template": template.public_id, "modifications": modifications}, format="json"
    )
    assert answer.status_code == 201, answer.json()
