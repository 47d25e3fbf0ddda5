"""The dashboard's docs page (`/dashboard/docs`): a quick start filled with the user's own ids.

It shows the API's own error catalogue (`lib/problems.py`, which the OpenAPI
document enumerates too), so the page and the API cannot disagree.
Full keys and secrets never appear: the examples say `YOUR_API_KEY`,
`YOUR_URL_SIGNING_SECRET` and `YOUR_CALLBACK_SECRET`.

The webhook-verification snippets are module constants so that a test can run
exactly what the page shows (dashboard/tests/test_docs_page.py).
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.models import ApiKey
from lib.problems import PROBLEMS
from templates_app.elements import PRIMARY_FIELD
from templates_app.models import DesignTemplate, Image

LANGUAGES = [("curl", "curl"), ("python", "Python"), ("javascript", "JavaScript")]
PLACEHOLDER_TEMPLATE = "tpl_YOUR_TEMPLATE_ID"
PLACEHOLDER_IMAGE = "img_YOUR_IMAGE_ID"
PLACEHOLDER_MODIFICATIONS = [{"name": "title", "text": "Hello, world"}]
CALLBACK_URL = "https://example.com/hooks/imagior"
AUTH = "Bearer YOUR_API_KEY"

WEBHOOK_PYTHON_STANDARD = """\
# pip install standardwebhooks
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook("YOUR_CALLBACK_SECRET")  # whsec_…, or a subscription's secret


def verified_event(body: bytes, headers: dict) -> dict | None:
    \"\"\"The event ({"type", "created_at", "data"}) if the signature holds, else None.\"\"\"
    try:
        return webhook.verify(body, headers)  # also refuses timestamps over 5 minutes old
    except WebhookVerificationError:
        return None
"""

WEBHOOK_PYTHON_HMAC = """\
import base64
import hashlib
import hmac
import time


def verify(secret: str, headers: dict, body: bytes) -> bool:
    \"\"\"True if this delivery was signed with `secret` (whsec_…) in the last 5 minutes.

    `headers` has lower-case names; `body` is the raw request body, not re-encoded JSON.
    \"\"\"
    message_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False  # too old, or from the future: possibly a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header holds one or more space-separated "v1,<signature>" entries.
    for entry in headers["webhook-signature"].split():
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False
"""

WEBHOOK_NODE = """\
import crypto from "node:crypto";

// True if this delivery was signed with `secret` (whsec_…) in the last 5 minutes.
// `headers` has lower-case names; `body` is the raw request body (a string or Buffer).
export function verify(secret, headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = crypto
    .createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest("base64");
  return headers["webhook-signature"].split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    return (
      version === "v1" &&
      signature.length === expected.length &&
      crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    );
  });
}
"""


@require_safe
@login_required
def quick_start(request):
    """Examples with the user's own template and element names, the error table, webhook checks."""
    language = request.GET.get("lang", "curl")
    if language not in dict(LANGUAGES):
        language = "curl"
    templates = list(DesignTemplate.objects.filter(owner=request.user).only("public_id", "name", "elements"))
    # Only the user's own: another account's id (or a stale one) falls back to the first template.
    chosen = request.GET.get("template", "")
    template = next((t for t in templates if t.public_id == chosen), templates[0] if templates else None)
    images = Image.objects.filter(owner=request.user)
    image = (template and images.filter(template_public_id=template.public_id).first()) or images.first()
    modifications = modifications_for(template.elements) if template else PLACEHOLDER_MODIFICATIONS
    template_id = template.public_id if template else PLACEHOLDER_TEMPLATE
    base = settings.PUBLIC_BASE_URL
    integrations = integration_examples(base=base, template_id=template_id, modifications=modifications)
    examples = render_examples(
        base=base,
        template_id=template_id,
        modifications=modifications,
        image_id=image.public_id if image else PLACEHOLDER_IMAGE,
    )
    context = {
        "language": language,
        "languages": LANGUAGES,
        "template": template,
        "templates": templates,
        "template_id": template_id,
        "keys": ApiKey.objects.filter(user=request.user, revoked_at__isnull=True),
        "examples": [{**example, "code": example["code"][language]} for example in examples],
        "signed_url": signed_url_example(base=base, template_id=template_id, modifications=modifications)[
            "javascript" if language == "javascript" else "python"
        ],
        # (label, code, the languages whose tab shows it open): the others fold away.
        "webhook_examples": [
            ("Python, with the standardwebhooks package", WEBHOOK_PYTHON_STANDARD, ("curl", "python")),
            ("Python, plain HMAC (no dependency)", WEBHOOK_PYTHON_HMAC, ()),
            ("Node.js, with crypto", WEBHOOK_NODE, ("javascript",)),
        ],
        "problems": PROBLEMS,
        "base": base,
        "integrations": integrations,
        "sections": [("your-ids", "Your ids")]
        + [(example["slug"], example["title"]) for example in examples]
        + [
            ("signed-urls", "Signed image URLs"),
            ("webhooks", "Verifying webhooks"),
            ("integrations", "Libraries and integrations"),
            ("errors", "Errors"),
        ],
    }
    return render(request, "dashboard/quick_start.html", context)


def integration_examples(*, base: str, template_id: str, modifications: list[dict]) -> list[dict]:
    """The client libraries and integrations (docs/clients.md), each as {"slug", "title", "intro", "code"}.

    A client's snippet is its language's render example (shown once: in its own language's tab the
    section points up to it); with IMAGIOR_API_KEY and IMAGIOR_BASE_URL set it renders as printed
    (tests/clients/test_docs_page_examples.py)."""
    texts = [m for m in modifications if "text" in m]
    body = json.dumps({"template": template_id, "modifications": texts}, indent=2, ensure_ascii=False)
    mcp_config = json.dumps(
        {
            "mcpServers": {
                "imagior": {
                    "command": "imagior-mcp",
                    "env": {"IMAGIOR_API_KEY": "YOUR_API_KEY", "IMAGIOR_BASE_URL": base},
                }
            }
        },
        indent=2,
    )
    return [
        {
            "slug": "python-client",
            "title": "Python client",
            "intro": "pip install ./clients/python (from a checkout of Imagior; Python 3.9+, depends on httpx). "
            "Sync Imagior and asyncio AsyncImagior; retries keep one Idempotency-Key, so a render is charged once.",
            "code": python_client(base=base, template_id=template_id, modifications=modifications)["render"],
        },
        {
            "slug": "js-client",
            "title": "JavaScript client",
            "intro": "npm install ./clients/js (Node 18+ and browsers, no dependencies). Save as render.mjs and run "
            "node render.mjs.",
            "code": javascript_client(base=base, template_id=template_id, modifications=modifications)["render"],
        },
        {
            "slug": "mcp",
            "title": "AI agents (MCP)",
            "intro": "pip install ./integrations/mcp gives imagior-mcp, a stdio MCP server with the tools "
            "list_templates, get_template_schema, render_image, get_image and get_account. Add it to your "
            "agent's MCP configuration (Claude Desktop, Cursor):",
            "code": mcp_config,
        },
        {
            "slug": "zapier",
            "title": "Zapier",
            "intro": "The app in integrations/zapier (zapier push from that folder): connect with your API key and "
            "this base URL; the trigger Image Completed, the action Render Image (its fields come from the "
            "template's elements) and the search Find Image.",
            "code": f"API key:   YOUR_API_KEY\nBase URL:  {base}\nTemplate:  {template_id}",
        },
        {
            "slug": "n8n",
            "title": "n8n",
            "intro": "The community node n8n-nodes-imagior in integrations/n8n: create Imagior API credentials, then "
            "use the Imagior node (Render Image, Get Image) or the Imagior Trigger (image completed).",
            "code": f"Credentials  API Key: YOUR_API_KEY   Base URL: {base}\nRender Image  Template: {template_id}\n"
            f"              Modifications (JSON): {json.dumps(texts, ensure_ascii=False)}",
        },
        {
            "slug": "make",
            "title": "Make",
            "intro": "No app needed: Make's HTTP › Make a request module with these settings (parse the response). "
            "To start a scenario when an image is done, subscribe a Webhooks › Custom webhook URL on the "
            "Webhooks page.",
            "code": f"URL:      {base}/api/v1/images\nMethod:   POST\nHeaders:  Authorization: Bearer YOUR_API_KEY\n"
            f"Body type: Raw, application/json\nBody:\n{body}",
        },
    ]


def modifications_for(elements: list[dict]) -> list[dict]:
    """One modification per element, setting its primary field (as the designer's snippets do).

    An image element is shown with its own picture's URL, which renders as it is; one whose
    picture is embedded (a data: URI) or missing is left out, so a copied example never names a
    picture the service cannot fetch (the template's own picture is used when it is left out).
    """
    result = []
    for element in elements:
        field = PRIMARY_FIELD.get(element.get("type"))
        if field is None:
            continue
        value = element.get(field)
        if element["type"] == "image":
            if not (isinstance(value, str) and value.lower().startswith(("https://", "http://")) and len(value) <= 500):
                continue
            result.append({"name": element["name"], field: value})  # whole: a cut URL would not load
            continue
        if isinstance(value, str) and len(value) > 200:
            value = value[:200] + "…"
        result.append({"name": element["name"], field: value})
    return result


# --- code generation -------------------------------------------------------------


def render_examples(*, base: str, template_id: str, modifications: list[dict], image_id: str) -> list[dict]:
    """The quick start's requests, each as {"slug", "title", "intro", "code": {language: text}}."""
    images = f"{base}/api/v1/images"
    render_body = {"template": template_id, "modifications": modifications}
    edit_body = {"modifications": modifications[:1]}
    async_body = {**render_body, "async": True, "callback_url": CALLBACK_URL}
    clients = {
        "python": python_client(base=base, template_id=template_id, modifications=modifications, image_id=image_id),
        "javascript": javascript_client(
            base=base, template_id=template_id, modifications=modifications, image_id=image_id
        ),
    }
    examples = [
        {
            "slug": "render",
            "title": "Render an image",
            "intro": "Synchronous: the answer is 201 with the finished image and its url. "
            "A live key costs 1 credit a render; a test key renders free, watermarked images.",
            "code": request_code("POST", images, render_body, then="url"),
        },
        {
            "slug": "render-async",
            "title": "Render in the background, with a callback",
            "intro": 'With "async": true the answer is 202 with "status": "pending". When the image is '
            "done, an image.completed (or image.failed) event is POSTed to callback_url, signed with your "
            "callback secret (see Verifying webhooks below); or poll GET /api/v1/images/{id}.",
            "code": request_code("POST", images, async_body, then="poll", base=base),
        },
        {
            "slug": "list",
            "title": "List your images",
            "intro": "Newest first, 20 a page (limit up to 100, offset to page on): "
            '{"count", "count_exact", "next", "previous", "results"} (count is exact up to 10,000).',
            "code": request_code("GET", f"{images}?limit=20", None, then="list"),
        },
        {
            "slug": "edit",
            "title": "Edit an image",
            "intro": "A new image from the same template, with these modifications merged over the "
            "original's (per element and field). It costs like a render.",
            "code": request_code("POST", f"{images}/{image_id}/edit", edit_body, then="url"),
        },
        {
            "slug": "idempotency",
            "title": "Retry safely: Idempotency-Key",
            "intro": "Send the same Idempotency-Key with the same body and the first answer is replayed "
            "(with Idempotent-Replayed: true), charged once. The same key with another body is a 409 "
            "idempotency_conflict. Keys are kept at least 24 hours.",
            "code": request_code(
                "POST", images, render_body, then="replayed", headers={"Idempotency-Key": "order-1234-card"}
            ),
        },
    ]
    # curl is raw HTTP; Python and JavaScript use the client libraries (clients/python, clients/js).
    for example in examples:
        example["code"] = {"curl": example["code"]["curl"]} | {
            language: code[example["slug"]] for language, code in clients.items()
        }
    return examples


def request_code(method: str, url: str, body, *, then: str, base: str = "", headers: dict | None = None) -> dict:
    """One request as curl (raw HTTP)."""
    return {"curl": _curl(method, url, body, headers or {}, then=then, base=base)}


def python_client(*, base: str, template_id: str, modifications: list[dict], image_id: str = PLACEHOLDER_IMAGE) -> dict:
    """Each example with the `imagior` Python client (clients/python/README.md), by slug."""
    setup = ["from imagior import Imagior", "", "client = Imagior()  # reads IMAGIOR_API_KEY and IMAGIOR_BASE_URL"]
    mods = python_literal(modifications, 4)
    create = [f'    template="{template_id}",', f"    modifications={mods},"]
    return {
        "render": "\n".join(
            [
                f"# export IMAGIOR_API_KEY=YOUR_API_KEY IMAGIOR_BASE_URL={base}",
                *setup,
                "image = client.images.create(",
                *create,
                ")",
                "print(image.id, image.url)",
            ]
        ),
        "render-async": "\n".join(
            [
                *setup,
                "image = client.images.create(",
                *create,
                f'    callback_url="{CALLBACK_URL}",',
                "    asynchronous=True,  # answers at once",
                ")",
                'print(image.id, image.status)  # "pending"',
                "# Your callback_url hears when it is done; or poll:",
                "image = client.images.wait(image)",
                "print(image.status, image.url)",
            ]
        ),
        "list": "\n".join(
            [
                *setup,
                "page = client.images.list(limit=20).first_page()  # iterate the list itself for every page",
                "print(page.count)",
                "for image in page.results:",
                "    print(image.id, image.status, image.url)",
            ]
        ),
        "edit": "\n".join(
            [
                *setup,
                f'image = client.images.edit("{image_id}", modifications={python_literal(modifications[:1], 4)})',
                "print(image.id, image.url)",
            ]
        ),
        "idempotency": "\n".join(
            [
                *setup,
                "# Every create already sends one Idempotency-Key across its retries; name it yourself to",
                "# make the call safe to repeat across restarts too.",
                "first = client.images.create(",
                *create,
                '    idempotency_key="order-1234-card",',
                ")",
                "again = client.images.create(",
                *create,
                '    idempotency_key="order-1234-card",',
                ")",
                "print(first.id == again.id, again.url)  # replayed: the same image, charged once",
            ]
        ),
    }


def javascript_client(
    *, base: str, template_id: str, modifications: list[dict], image_id: str = PLACEHOLDER_IMAGE
) -> dict:
    """Each example with the `imagior` JavaScript client (clients/js/README.md), by slug."""
    setup = [
        'import Imagior from "imagior";',
        "",
        "const imagior = new Imagior(); // reads IMAGIOR_API_KEY and IMAGIOR_BASE_URL",
    ]
    mods = json_literal(modifications, 2)
    create = [f'  template: "{template_id}",', f"  modifications: {mods},"]
    return {
        "render": "\n".join(
            [
                f"// export IMAGIOR_API_KEY=YOUR_API_KEY IMAGIOR_BASE_URL={base}",
                *setup,
                "const image = await imagior.images.create({",
                *create,
                "});",
                "console.log(image.id, image.url);",
            ]
        ),
        "render-async": "\n".join(
            [
                *setup,
                "let image = await imagior.images.create({",
                *create,
                "  async: true, // answers at once",
                f'  callback_url: "{CALLBACK_URL}",',
                "});",
                'console.log(image.id, image.status); // "pending"',
                "// Your callback_url hears when it is done; or poll:",
                "image = await imagior.images.wait(image.id);",
                "console.log(image.status, image.url);",
            ]
        ),
        "list": "\n".join(
            [
                *setup,
                "const page = await imagior.images.list({ limit: 20 }); // or for await (…) over every page",
                "console.log(page.count);",
                "for (const image of page.results) console.log(image.id, image.status, image.url);",
            ]
        ),
        "edit": "\n".join(
            [
                *setup,
                f'const image = await imagior.images.edit("{image_id}", {{',
                f"  modifications: {json_literal(modifications[:1], 2)},",
                "});",
                "console.log(image.id, image.url);",
            ]
        ),
        "idempotency": "\n".join(
            [
                *setup,
                "// Every create already sends one Idempotency-Key across its retries; name it yourself to",
                "// make the call safe to repeat across restarts too.",
                "const body = {",
                *create,
                '  idempotencyKey: "order-1234-card",',
                "};",
                "const first = await imagior.images.create(body);",
                "const again = await imagior.images.create(body);",
                "console.log(first.id === again.id, again.url); // replayed: the same image, charged once",
            ]
        ),
    }


def _curl(method, url, body, headers, *, then, base) -> str:
    lines = [f"curl {url}" if method == "GET" else f"curl -X {method} {url}", f'-H "Authorization: {AUTH}"']
    lines += [f'-H "{name}: {value}"' for name, value in headers.items()]
    if then == "replayed":
        lines.insert(1, "-i")
    if body is not None:
        shell_json = json_literal(body, 0).replace("'", "'\\''")
        lines += ['-H "Content-Type: application/json"', f"-d '{shell_json}'"]
    text = " \\\n  ".join(lines)
    if then == "poll":
        poll = f'curl {base}/api/v1/images/IMAGE_ID -H "Authorization: {AUTH}"'
        text += f"\n\n# Then, unless you wait for the callback:\n{poll}"
    if then == "replayed":
        text += "\n\n# Run it twice: the second answer has Idempotent-Replayed: true and costs nothing."
    return text


def signed_url_example(*, base: str, template_id: str, modifications: list[dict]) -> dict:
    """The signed /i/… URL recipe (docs/api.md) in Python and Node, with the secret as a placeholder."""
    params = {}
    for modification in modifications:
        value = next(v for k, v in modification.items() if k != "name")
        if value is not None:
            params[modification["name"]] = str(value)
    python = "\n".join(
        [
            "import hashlib",
            "import hmac",
            "from urllib.parse import quote, urlencode",
            "",
            'SECRET = "YOUR_URL_SIGNING_SECRET"  # uss_…, on the API keys page; keep it on your server',
            f'template_id = "{template_id}"',
            f"params = {python_literal(params, 0)}",
            "",
            "# Sign the path and the parameters sorted by name, URL-encoded with %20 for spaces.",
            'path = f"/i/{template_id}.png?" + urlencode(sorted(params.items()), quote_via=quote)',
            "sig = hmac.new(SECRET.encode(), path.encode(), hashlib.sha256).hexdigest()",
            f'url = "{base}" + path + "&sig=" + sig',
            'print(url)  # use it in <img src> or <meta property="og:image">',
        ]
    )
    javascript = "\n".join(
        [
            'import crypto from "node:crypto";',
            "",
            'const SECRET = "YOUR_URL_SIGNING_SECRET"; // uss_…, on the API keys page; keep it on your server',
            f'const templateId = "{template_id}";',
            f"const params = {_indent(json.dumps(params, indent=2, ensure_ascii=False), 0)};",
            "",
            "// Encoded as Python's urllib.parse.quote does: %20 for spaces, and !'()* escaped too.",
            "const encode = (text) =>",
            "  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);",
            "const query = Object.keys(params)",
            "  .sort()",
            "  .map((name) => `${encode(name)}=${encode(params[name])}`)",
            '  .join("&");',
            "const path = `/i/${templateId}.png?${query}`;",
            'const sig = crypto.createHmac("sha256", SECRET).update(path).digest("hex");',
            f"console.log(`{base}${{path}}&sig=${{sig}}`);",
        ]
    )
    return {"python": python, "javascript": javascript}


def python_literal(value, level: int) -> str:
    """`value` as Python source, indented like the JSON it comes from."""
    pad, end = " " * (level + 4), " " * level
    inline = _python_inline(value)
    if len(inline) + level <= 80 or not isinstance(value, (list, dict)):
        return inline
    if isinstance(value, list):
        items = ",\n".join(pad + python_literal(item, level + 4) for item in value)
        return f"[\n{items},\n{end}]"
    items = ",\n".join(f"{pad}{json.dumps(key)}: {python_literal(item, level + 4)}" for key, item in value.items())
    return f"{{\n{items},\n{end}}}"


def json_literal(value, level: int) -> str:
    """`value` as JSON (valid JavaScript too), each list item or key on one line only when it must wrap."""
    inline = json.dumps(value, ensure_ascii=False)
    if len(inline) + level <= 80 or not isinstance(value, (list, dict)):
        return inline
    pad, end = " " * (level + 2), " " * level
    if isinstance(value, list):
        items = ",\n".join(pad + json_literal(item, level + 2) for item in value)
        return f"[\n{items}\n{end}]"
    items = ",\n".join(f"{pad}{json.dumps(key)}: {json_literal(item, level + 2)}" for key, item in value.items())
    return f"{{\n{items}\n{end}}}"


def _python_inline(value) -> str:
    if value is None or isinstance(value, bool):
        return {None: "None", True: "True", False: "False"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_python_inline(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)}: {_python_inline(item)}" for key, item in value.items()) + "}"


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)
