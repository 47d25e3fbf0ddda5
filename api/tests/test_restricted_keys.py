"""Restricted keys (docs/api.md, "Restricted keys"): scopes on every route, template
allow-lists, expiry and rolling — all through HTTP."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from accounts.models import ROLL_GRACE_PERIODS, ApiKey
from accounts.scopes import SCOPES
from api.tests.fontfiles import square_font
from billing.models import LedgerEntry, Plan
from conftest import BOX_AND_TITLE, client_for
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery

# Every API operation, the scope it needs, and a request that succeeds with it.
# `{tpl}`, `{img}`, `{whk}` and `{font}` are filled with alice's real objects.
ROUTES = [
    ("GET", "/api/v1/templates", "templates:read", None, 200),
    ("POST", "/api/v1/templates", "templates:write", BOX_AND_TITLE, 201),
    ("GET", "/api/v1/templates/{tpl}", "templates:read", None, 200),
    ("PUT", "/api/v1/templates/{tpl}", "templates:write", BOX_AND_TITLE, 200),
    ("PATCH", "/api/v1/templates/{tpl}", "templates:write", {"name": "Renamed"}, 200),
    ("DELETE", "/api/v1/templates/{tpl}", "templates:write", None, 204),
    ("GET", "/api/v1/templates/{tpl}/schema", "templates:read", None, 200),
    ("GET", "/api/v1/images", "images:read", None, 200),
    ("POST", "/api/v1/images", "images:write", {"template": "{tpl}"}, 201),
    ("GET", "/api/v1/images/{img}", "images:read", None, 200),
    ("DELETE", "/api/v1/images/{img}", "images:write", None, 204),
    ("POST", "/api/v1/images/{img}/edit", "images:write", {}, 201),
    ("GET", "/api/v1/webhooks", "webhooks:read", None, 200),
    (
        "POST",
        "/api/v1/webhooks",
        "webhooks:write",
        {"url": "https://93.184.216.34/hook", "events": ["image.completed"]},
        201,
    ),
    ("GET", "/api/v1/webhooks/{whk}", "webhooks:read", None, 200),
    ("DELETE", "/api/v1/webhooks/{whk}", "webhooks:write", None, 204),
    ("GET", "/api/v1/fonts", "templates:read", None, 200),
    ("POST", "/api/v1/fonts", "fonts:write", "font upload", 201),
    ("GET", "/api/v1/fonts/{font}", "templates:read", None, 200),
    ("DELETE", "/api/v1/fonts/{font}", "fonts:write", None, 204),
    ("GET", "/api/v1/usage", "usage:read", None, 200),
]
ROUTE_IDS = [f"{method} {path}" for method, path, *_ in ROUTES]


@pytest.fixture(autouse=True)
def _roomy_plan(db):
    # These tests count scopes, not requests: the Free plan's 10 a minute would get in the way.
    Plan.objects.filter(slug="free").update(rate_limit_per_minute=10_000)


@pytest.fixture
def objects(api, alice):
    """One of each of alice's objects, made through the API with her unrestricted key."""
    tpl = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    img = api.post("/api/v1/images", {"template": tpl}, format="json").json()["id"]
    whk = api.post(
        "/api/v1/webhooks", {"url": "https://93.184.216.34/hook", "events": ["image.completed"]}, format="json"
    ).json()["id"]
    font = upload_font(api).json()["id"]
    return {"tpl": tpl, "img": img, "whk": whk, "font": font}


def upload_font(client):
    return client.post("/api/v1/fonts", {"file": SimpleUploadedFile("acme.ttf", square_font())}, format="multipart")


def call(client, method: str, path: str, body, objects: dict):
    path = path.format(**objects)
    if body == "font upload":
        return upload_font(client)
    if isinstance(body, dict):
        body = {name: value.format(**objects) if isinstance(value, str) else value for name, value in body.items()}
    send = getattr(client, method.lower())
    return send(path, body, format="json") if body is not None else send(path)


def restricted(user, **settings) -> object:
    _, raw = ApiKey.issue(user, name="restricted", **settings)
    return client_for(raw)


def declared_operations() -> set[tuple[str, str]]:
    """(method, route) for every method of every API view, from the URL resolver."""
    operations = set()
    for pattern in get_resolver().url_patterns:
        if not str(pattern.pattern).startswith("api/v1/"):
            continue
        for inner in pattern.url_patterns:
            assert isinstance(inner, URLPattern)
            view = getattr(inner.callback, "cls", None)
            if view is None or inner.name == "openapi-schema":
                continue
            for method in ("get", "post", "put", "patch", "delete"):
                if hasattr(view, method):
                    operations.add((method.upper(), view, f"/api/v1/{inner.pattern}"))
    return operations


def test_every_api_route_declares_a_scope_for_each_of_its_methods():
    operations = declared_operations()
    assert len(operations) >= 20  # the walk found the API
    undeclared = [
        f"{method} {route}"
        for method, view, route in operations
        if method not in getattr(view, "required_scopes", {})
        or (view.required_scopes[method] is not None and view.required_scopes[method] not in SCOPES)
    ]
    assert undeclared == []


def test_every_scoped_operation_is_covered_by_this_file():
    declared = {
        (method, route.replace("<str:template_id>", "{tpl}").replace("<str:image_id>", "{img}"))
        for method, view, route in declared_operations()
        if view.required_scopes[method] is not None
    }
    declared = {(m, r.replace("<str:webhook_id>", "{whk}").replace("<str:font_id>", "{font}")) for m, r in declared}
    assert declared == {(method, path) for method, path, *_ in ROUTES}


@pytest.mark.parametrize(("method", "path", "scope", "body", "ok"), ROUTES, ids=ROUTE_IDS)
def test_a_key_with_the_scope_may_call_it(alice, objects, method, path, scope, body, ok):
    client = restricted(alice, scopes=[scope])
    response = call(client, method, path, body, objects)
    assert response.status_code == ok, response.content


@pytest.mark.parametrize(("method", "path", "scope", "body", "ok"), ROUTES, ids=ROUTE_IDS)
def test_a_key_without_the_scope_is_refused_and_nothing_changes(alice, objects, method, path, scope, body, ok):
    client = restricted(alice, scopes=[other for other in SCOPES if other != scope])
    ledger_rows = LedgerEntry.objects.count()
    response = call(client, method, path, body, objects)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "scope_denied"
    assert scope in response.json()["detail"]
    assert LedgerEntry.objects.count() == ledger_rows
    # The object is still there for an unrestricted key.
    if "{" in path:
        owner = restricted(alice)
        collection = path.split("/")[3]
        read = {
            "templates": "/api/v1/templates/{tpl}",
            "images": "/api/v1/images/{img}",
            "webhooks": "/api/v1/webhooks/{whk}",
            "fonts": "/api/v1/fonts/{font}",
        }[collection]
        assert owner.get(read.format(**objects)).status_code == 200


def test_the_account_shows_any_key_its_own_restrictions_but_the_rest_needs_account_read(alice, objects):
    expires = timezone.now() + timedelta(days=3)
    client = restricted(alice, scopes=["images:write"], allowed_templates=[objects["tpl"]], expires_at=expires)
    body = client.get("/api/v1/account").json()
    assert body["key"]["scopes"] == ["images:write"]
    assert body["key"]["allowed_templates"] == [objects["tpl"]]
    assert body["key"]["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M"))
    assert body["email"] is None and body["credits"] is None and body["plan"] is None and body["secrets"] is None

    reader = restricted(alice, scopes=["account:read"])
    body = reader.get("/api/v1/account").json()
    assert body["email"] == "alice@example.com" and body["credits"]["balance"] >= 0


def test_a_restricted_key_never_sees_the_signing_secret(alice, objects):
    # Without the URL-signing secret a restricted key cannot mint signed URLs for any template.
    for settings in ({"scopes": ["account:read"]}, {"allowed_templates": [objects["tpl"]]}):
        assert restricted(alice, **settings).get("/api/v1/account").json()["secrets"] is None
    assert restricted(alice).get("/api/v1/account").json()["secrets"]["url_signing"].startswith("uss_")


# --- allowed_templates --------------------------------------------------------------


@pytest.fixture
def two_templates(api):
    allowed = api.post("/api/v1/templates", {**BOX_AND_TITLE, "name": "Product card"}, format="json").json()["id"]
    other = api.post("/api/v1/templates", {**BOX_AND_TITLE, "name": "Internal"}, format="json").json()["id"]
    other_image = api.post("/api/v1/images", {"template": other}, format="json").json()["id"]
    return allowed, other, other_image


def test_a_template_outside_the_allow_list_cannot_be_rendered_and_nothing_is_charged(alice, two_templates):
    allowed, other, _ = two_templates
    client = restricted(alice, allowed_templates=[allowed])
    ledger_rows = LedgerEntry.objects.count()
    refused = client.post("/api/v1/images", {"template": other}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "template_not_allowed"
    assert LedgerEntry.objects.count() == ledger_rows
    assert client.post("/api/v1/images", {"template": allowed}, format="json").status_code == 201


def test_a_template_outside_the_allow_list_cannot_be_read_changed_or_described(alice, two_templates):
    allowed, other, _ = two_templates
    client = restricted(alice, allowed_templates=[allowed])
    for method, path, body in [
        ("GET", f"/api/v1/templates/{other}", None),
        ("GET", f"/api/v1/templates/{other}/schema", None),
        ("PATCH", f"/api/v1/templates/{other}", {"name": "Mine now"}),
        ("DELETE", f"/api/v1/templates/{other}", None),
    ]:
        response = call(client, method, path, body, {})
        assert (response.status_code, response.json()["code"]) == (403, "template_not_allowed"), (method, path)
    assert client.get(f"/api/v1/templates/{allowed}").status_code == 200
    assert restricted(alice).get(f"/api/v1/templates/{other}").json()["name"] == "Internal"


def test_lists_show_only_the_allowed_templates_and_their_images(alice, two_templates):
    allowed, _, other_image = two_templates
    client = restricted(alice, allowed_templates=[allowed])
    mine = client.post("/api/v1/images", {"template": allowed}, format="json").json()["id"]
    assert [t["id"] for t in client.get("/api/v1/templates").json()["results"]] == [allowed]
    assert [i["id"] for i in client.get("/api/v1/images").json()["results"]] == [mine]
    assert client.get(f"/api/v1/images/{other_image}").status_code == 404
    assert client.post(f"/api/v1/images/{other_image}/edit", {}, format="json").status_code == 404
    # The unrestricted key still sees everything.
    assert len(restricted(alice).get("/api/v1/templates").json()["results"]) == 2


# --- expiry and rolling --------------------------------------------------------------


def test_an_expired_key_answers_like_a_revoked_one(alice, objects):
    key, raw = ApiKey.issue(alice, name="soon", expires_at=timezone.now() + timedelta(minutes=5))
    client = client_for(raw)
    assert client.get("/api/v1/templates").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/templates")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_the_command_makes_restricted_and_expired_keys(alice, objects, capsys):
    call_command(
        "create_api_key",
        "alice@example.com",
        "--scopes",
        "images:write,templates:read",
        "--templates",
        objects["tpl"],
        "--expires-in-days",
        "7",
    )
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get(prefix=raw[: len(ApiKey.objects.latest("created_at").prefix)])
    assert key.scopes == ["templates:read", "images:write"] and key.allowed_templates == [objects["tpl"]]
    assert timedelta(days=6, hours=23) < key.expires_at - timezone.now() <= timedelta(days=7)
    assert client_for(raw).get("/api/v1/webhooks").json()["code"] == "scope_denied"

    call_command("create_api_key", "alice@example.com", "--expires-in-days", "0")
    expired = capsys.readouterr().out.strip().splitlines()[-1]
    assert client_for(expired).get("/api/v1/templates").status_code == 401


def test_the_command_refuses_unknown_scopes(alice):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scope images:everything"):
        call_command("create_api_key", "alice@example.com", "--scopes", "images:everything")


def test_a_rolled_key_keeps_its_settings_and_the_old_one_works_until_its_grace_ends(alice, objects):
    old, old_raw = ApiKey.issue(alice, name="storefront", scopes=["images:write"], allowed_templates=[objects["tpl"]])
    new, new_raw = old.roll(grace=ROLL_GRACE_PERIODS["1h"])
    assert (new.name, new.scopes, new.allowed_templates) == ("storefront", ["images:write"], [objects["tpl"]])
    render = {"template": objects["tpl"]}
    # Within the grace period both work.
    assert client_for(old_raw).post("/api/v1/images", render, format="json").status_code == 201
    assert client_for(new_raw).post("/api/v1/images", render, format="json").status_code == 201
    # After it, only the new one.
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(old_raw).post("/api/v1/images", render, format="json").status_code == 401
    assert client_for(new_raw).post("/api/v1/images", render, format="json").status_code == 201


def test_rolling_without_grace_stops_the_old_key_at_once(alice):
    old, old_raw = ApiKey.issue(alice, name="leaked")
    _, new_raw = old.roll(grace=ROLL_GRACE_PERIODS["none"])
    assert client_for(old_raw).get("/api/v1/templates").status_code == 401
    assert client_for(new_raw).get("/api/v1/templates").status_code == 200


def test_a_subscription_made_by_a_template_limited_key_hears_only_those_templates(api, alice, objects):
    other = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    limited = restricted(alice, scopes=["webhooks:write", "images:write"], allowed_templates=[objects["tpl"]])
    hook = {"url": "https://93.184.216.34/limited", "events": ["image.completed", "credits.low"]}
    assert limited.post("/api/v1/webhooks", hook, format="json").status_code == 201
    heard = WebhookDelivery.objects.filter(url=hook["url"])

    api.post("/api/v1/images", {"template": other}, format="json")  # the unrestricted key, another template
    webhooks.announce_low_credits(sender=None, account=alice.billing)  # account-wide
    assert not heard.exists()

    assert limited.post("/api/v1/images", {"template": objects["tpl"]}, format="json").status_code == 201
    assert [json.loads(d.body)["data"]["template"] for d in heard] == [objects["tpl"]]
    # The unrestricted subscription (image.completed only) still hears both renders.
    assert WebhookDelivery.objects.filter(url="https://93.184.216.34/hook").count() == 2
