"""Schemathesis against the real server with every check: requests generated from
/api/v1/openapi.json (valid and invalid) get no server error, invalid ones are
refused, valid ones accepted, and every answer (status, headers, body) is the
one the document describes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from defusedxml import ElementTree

from api.tests.fontfiles import square_font
from tests.conftest import last_line

pytestmark = pytest.mark.e2e

TEMPLATE = {
    "name": "Fuzz card",
    "width": 200,
    "height": 100,
    "elements": [
        {"name": "title", "type": "text", "x": 0, "y": 0, "width": 200, "height": 50, "text": "Hi"},
        {"name": "box", "type": "rect", "x": 0, "y": 50, "width": 200, "height": 50},
        {"name": "code", "type": "qr_code", "x": 150, "y": 50, "width": 50, "height": 50, "value": "x"},
    ],
}


# Generated Idempotency-Key values repeat ("0", "a"…), which turns most POSTs into
# 409 conflicts or replays: keep what was generated, made unique per request. And
# the server must call nobody but loopback back: generated http(s) callback and
# webhook URLs point at the discard port of 127.0.0.1.
HOOKS = """
import itertools

import schemathesis

counter = itertools.count()


def satisfy_unstated_rules(body):
    # A rule JSON Schema cannot state (docs/api.md): element names are unique within a template.
    if isinstance(body, dict) and isinstance(body.get("elements"), list):
        seen = set()
        for index, element in enumerate(body["elements"]):
            if isinstance(element, dict) and isinstance(element.get("name"), str):
                if element["name"] in seen:
                    element["name"] = f"{element['name']}~{index}"
                seen.add(element["name"])


@schemathesis.hook
def before_call(context, case, kwargs):
    # If-Match names the template's current version; a generated one is almost never it,
    # and 412 is the right answer to a well-formed stale version (api/tests cover it).
    if case.headers:
        case.headers.pop("If-Match", None)
    satisfy_unstated_rules(case.body)
    if case.headers and isinstance(case.headers.get("Idempotency-Key"), str):
        case.headers["Idempotency-Key"] = f"{case.headers['Idempotency-Key'][:200]}~{next(counter)}"
    if isinstance(case.body, dict):
        for field in ("callback_url", "url"):
            value = case.body.get(field)
            if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
                case.body[field] = "http://127.0.0.1:9/fuzz"
"""
# Business's 1,000 requests a minute would turn most of the run into 429s: a plan
# of its own, so the other end-to-end tests keep the real plans.
FUZZ_PLAN = (
    "from billing.models import Plan; Plan.objects.get_or_create(slug='fuzz', defaults=dict("
    "name='Fuzz', monthly_credits=100_000, rate_limit_per_minute=100_000, sort_order=99))"
)


def test_every_operation_agrees_with_the_openapi_document(server, tmp_path):
    server.manage("shell", "-c", FUZZ_PLAN)
    server.manage("create_account", "fuzz@example.com", "--plan", "fuzz")
    key = last_line(server.manage("create_api_key", "fuzz@example.com"))
    api = server.session(key)
    # Real objects, so the operations on one are exercised beyond their 404: one set
    # to read, edit and render, another for the DELETEs to remove.
    ids = {}
    for role in ("kept", "deleted"):
        template = api.post(f"{server.base_url}/api/v1/templates", json=TEMPLATE).json()["id"]
        image = api.post(f"{server.base_url}/api/v1/images", json={"template": template}).json()["id"]
        font = api.post(
            f"{server.base_url}/api/v1/fonts", files={"file": ("f.ttf", square_font(f"Fuzz {role}"))}
        ).json()["id"]
        webhook = api.post(
            f"{server.base_url}/api/v1/webhooks", json={"url": "http://127.0.0.1:9/fuzz", "events": ["image.failed"]}
        ).json()["id"]
        ids[role] = {
            "path.template_id": template,
            "path.image_id": image,
            "path.font_id": font,
            "path.webhook_id": webhook,
        }
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "\n".join(
            [
                # The key through the document's own security scheme, so the checks that
                # leave it out (expecting 401) really leave it out.
                "[auth.openapi.ApiKey]",
                f"bearer = {json.dumps(key)}",
                "",
                "[parameters]",
                *(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in ids["kept"].items()),
                "",
                "[[operations]]",
                'include-method = "DELETE"',
                "[operations.parameters]",
                *(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in ids["deleted"].items()),
                "",
                # Two answers depend on content no OpenAPI document can describe, so a
                # schema-valid request may rightly get 400 there: an upload must parse as
                # a font (invalid_font), and modifications must name the template's own
                # elements (unknown_element; GET /templates/{id}/schema has that schema).
                "[[operations]]",
                'include-path = "/api/v1/fonts"',
                'include-method = "POST"',
                "checks.positive_data_acceptance.enabled = false",
                "",
                "[[operations]]",
                'include-path-regex = "^/api/v1/images(/[^/]+/edit)?$"',
                'include-method = "POST"',
                "checks.positive_data_acceptance.enabled = false",
                "",
            ]
        )
    )
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{server.base_url}/api/v1/openapi.json",
        "--url",
        server.base_url,  # never the schema's `servers`: only this loopback server is spoken to
        # No --checks: every check runs (the default), and the per-operation
        # exceptions in the config file apply (a command-line list would override them).
        "--max-examples",
        "15",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "4",
        "--seed",
        "20260101",
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    (tmp_path / "fuzz_hooks.py").write_text(HOOKS)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_hooks", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    # Every operation of the document was exercised, not only some of them.
    document = requests.get(f"{server.base_url}/api/v1/openapi.json", timeout=30).json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    report = ElementTree.parse(next((tmp_path / "report").glob("*.xml")))
    tested = {case.get("name") for case in report.iter("testcase")}
    assert operations <= tested, sorted(operations - tested)
