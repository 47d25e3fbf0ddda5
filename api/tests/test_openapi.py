"""The OpenAPI document (/api/v1/openapi.json) and Swagger UI (/api/docs/)."""

import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from api.permissions import required_scope

SCHEMA_URL = "/api/v1/openapi.json"
PROBLEM = "#/components/schemas/Problem"
# Every code of the error table in docs/api.md.
SPEC_CODES = {
    "invalid_json",
    "validation_error",
    "unknown_element",
    "image_fetch_failed",
    "output_too_large",
    "authentication_required",
    "invalid_api_key",
    "insufficient_credits",
    "ip_not_allowed",
    "origin_not_allowed",
    "invalid_signature",
    "not_found",
    "method_not_allowed",
    "idempotency_conflict",
    "payload_too_large",
    "rate_limited",
    "render_failed",
    "internal_error",
}


@pytest.fixture
def schema(client):
    return client.get(SCHEMA_URL).json()


def deref(schema: dict, node: dict) -> dict:
    """Follow `$ref`s (#/components/…) until a real object."""
    while "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def api_routes() -> set[tuple[str, str]]:
    """(path, method) for every route under /api/v1/, from the URL resolver and each view's handlers."""
    return set(api_views())


def api_views() -> dict[tuple[str, str], type]:
    """{(path, method): view class} for every route under /api/v1/, from the URL resolver."""
    routes = {}

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/") and pattern.name != "openapi-schema":
                view = pattern.callback.view_class
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                for method in view.http_method_names:
                    if method not in ("options", "head", "trace") and hasattr(view, method):
                        routes[(path, method)] = view

    walk(get_resolver().url_patterns, "")
    return routes


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_is_public_json(client):
    response = client.get(SCHEMA_URL)  # no key
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "Imagior API"
    assert body["servers"] == settings.SPECTACULAR_SETTINGS["SERVERS"]  # PUBLIC_BASE_URL
    assert body["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "imk_live_… or imk_test_…",
        "description": body["components"]["securitySchemes"]["ApiKey"]["description"],
    }


def test_a_bad_key_does_not_hide_the_schema(client):
    assert client.get(SCHEMA_URL, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200


def test_every_api_route_and_method_is_in_the_schema(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}
    routes = api_routes()
    assert ("/api/v1/templates/{template_id}", "patch") in routes  # the walk sees what it should
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "the OpenAPI document describes routes that do not exist"


def test_every_operation_needs_a_key_and_declares_its_problems(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation["security"] == [{"ApiKey": []}], where
        for status in ("401", "403", "429", "500", *(("404",) if "{" in path else ())):
            assert status in operation["responses"], f"{where} lacks {status}"
            response = deref(schema, operation["responses"][status])
            assert response["content"]["application/problem+json"]["schema"] == {"$ref": PROBLEM}, where
        if method in ("post", "put", "patch"):
            for status in ("400", "413"):
                assert status in operation["responses"], f"{where} lacks {status}"
        success = [int(status) for status in operation["responses"] if int(status) < 300]
        assert success, where


def test_the_problem_schema_lists_every_code(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "request_id"}
    code = problem["properties"]["code"]
    assert code["allOf"] == [{"$ref": "#/components/schemas/ProblemCodeEnum"}]
    codes = set(deref(schema, code["allOf"][0])["enum"])
    assert codes >= SPEC_CODES
    # Every reusable problem answer is there, 405 included.
    assert set(schema["components"]["responses"]) >= {
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "MethodNotAllowed",
        "Conflict",
        "PayloadTooLarge",
        "TooManyRequests",
        "ServerError",
    }


def test_it_documents_status_codes_bodies_and_headers(schema):
    paths = schema["paths"]
    render = paths["/api/v1/images"]["post"]
    assert set(render["responses"]) >= {"201", "202", "400", "403", "409", "413", "500"}
    assert render["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RenderRequest"
    }
    assert {"X-Credits-Remaining", "X-Request-Id", "RateLimit-Limit"} <= set(render["responses"]["201"]["headers"])
    assert "X-Credits-Remaining" in deref(schema, render["responses"]["403"])["headers"]
    assert "Retry-After" in deref(schema, render["responses"]["429"])["headers"]
    assert "WWW-Authenticate" in deref(schema, render["responses"]["401"])["headers"]
    assert "X-Credits-Remaining" in paths["/api/v1/images/{image_id}/edit"]["post"]["responses"]["202"]["headers"]

    for path, method, operation in operations(schema):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (method == "post"), f"{method} {path}"

    def query(path):
        return {p["name"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}

    assert query("/api/v1/images") == {"limit", "offset", "template", "status"}
    assert query("/api/v1/templates") == query("/api/v1/webhooks") == {"limit", "offset"}
    assert query("/api/v1/usage") == {"days"}

    assert "204" in paths["/api/v1/templates/{template_id}"]["delete"]["responses"]
    assert paths["/api/v1/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookCreated"
    }
    assert "secret" in schema["components"]["schemas"]["WebhookCreated"]["required"]
    upload = paths["/api/v1/fonts"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    fields = deref(schema, upload["multipart/form-data"]["schema"])["properties"]
    assert set(fields) == {"file", "family", "weight", "italic"} and fields["file"]["format"] == "binary"
    elements = schema["components"]["schemas"]["Template"]["properties"]["elements"]
    assert set(elements["items"]["discriminator"]["mapping"]) == {"text", "rect", "ellipse", "image", "qr_code"}


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "openapi.yaml"))


@pytest.fixture
def static_client(settings, client):
    """The test client with WhiteNoise serving from the finders, as `collectstatic` output would be."""
    settings.WHITENOISE_USE_FINDERS = True
    return client


def test_swagger_ui_is_served_from_our_own_static_files(static_client):
    response = static_client.get("/api/docs/")  # no key
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not load anything from another site"
    # Nothing inline, so a CSP with script-src/style-src 'self' holds.
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    urls = [url.replace("&amp;", "&") for url in re.findall(r'(?:src|href)="([^"]+)"', html)]
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert "/api/docs/?script=" in urls
    for url in urls:
        asset = static_client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body, url
    script = static_client.get("/api/docs/?script=")
    assert script["Content-Type"] == "application/javascript"
    assert SCHEMA_URL in script.content.decode()


def test_an_unknown_docs_path_is_a_problem(client):
    response = client.get("/api/docs/nothing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.filterwarnings("ignore:No directory at")  # the session's live server predates STATIC_ROOT's override
def test_swagger_ui_renders_every_operation_in_a_browser(live_server, settings):
    from playwright import sync_api as playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    assert shutil.which("chromium"), "make test installs Debian's chromium (bin/ensure-chromium)"
    settings.ALLOWED_HOSTS = ["*"]
    problems = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".opblock", timeout=20_000)
            count = page.locator(".opblock").count()
        finally:
            browser.close()
    assert count == len(api_routes())
    assert problems == []  # CSP violations show up here


def test_every_operation_shows_the_scope_its_view_requires(schema):
    for (path, method), view in api_views().items():
        operation = schema["paths"][path][method]
        scope = required_scope(view, method.upper())
        assert operation["x-required-scope"] == scope, (path, method)
        note = f"Needs the `{scope}` scope" if scope else "Any key may call this"
        assert note in operation["description"], (path, method)
