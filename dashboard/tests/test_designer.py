"""The designer's endpoints and pages, and the gallery thumbnails (dashboard/designer.py, templates_app/previews.py)."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from billing.models import LedgerEntry
from conftest import serving
from templates_app import previews, services
from templates_app.elements import clean_template
from templates_app.models import DesignTemplate, Image
from templates_app.tasks import refresh_thumbnail

RED, BLUE, WHITE = (220, 30, 40), (30, 60, 220), (255, 255, 255)


def card(**changes) -> dict:
    """A 600×300 white card with a red bar on the left."""
    body = {
        "name": "Card",
        "width": 600,
        "height": 300,
        "background": "#ffffff",
        "elements": [{"name": "bar", "type": "rect", "x": 0, "y": 0, "width": 200, "height": 300, "fill": "#dc1e28"}],
    }
    return {**body, **changes}


def pixels(content: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(content)).convert("RGB")


def close_to(actual, expected, tolerance: int = 10) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.fixture
def template(alice):
    return DesignTemplate.objects.create(owner=alice, **clean_template(card()))


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


# --- preview ----------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_renders_the_posted_unsaved_elements(alice_client, template):
    body = card()
    body["elements"].append(
        {"name": "dot", "type": "ellipse", "x": 400, "y": 100, "width": 100, "height": 100, "fill": "#1e3cdc"}
    )
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), body)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = pixels(response.content)
    assert image.size == (600, 300)
    assert close_to(image.getpixel((100, 150)), RED)
    assert close_to(image.getpixel((450, 150)), BLUE)  # the unsaved ellipse
    assert close_to(image.getpixel((300, 150)), WHITE)
    template.refresh_from_db()
    assert len(template.elements) == 1 and template.version == 1  # nothing saved


@pytest.mark.django_db
def test_preview_is_free_and_leaves_no_image(alice_client, alice, template):
    ledger_rows = LedgerEntry.objects.count()
    balance = alice.billing.balance
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), card())
    assert response.status_code == 200
    assert LedgerEntry.objects.count() == ledger_rows
    assert Image.objects.count() == 0
    alice.billing.refresh_from_db()
    assert alice.billing.balance == balance


@pytest.mark.django_db
def test_previews_are_limited_per_user_so_they_are_no_way_around_credits(alice_client, template):
    from dashboard import designer

    # Two an hour for the test: a window that cannot turn over while it runs.
    designer.PREVIEW_RATE, original = "2/h", designer.PREVIEW_RATE
    try:
        url = reverse("designer-preview", args=[template.public_id])
        responses = [post_json(alice_client, url, card()) for _ in range(3)]
    finally:
        designer.PREVIEW_RATE = original
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[-1].json()["errors"][0]["code"] == "rate_limited"
    assert int(responses[-1]["Retry-After"]) > 0


@pytest.mark.django_db
def test_preview_of_a_huge_template_is_rendered_at_a_reduced_scale(alice_client, template):
    body = card(width=4000, height=4000)
    body["elements"][0].update(width=2000, height=4000)
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), body)
    assert response.status_code == 200
    image = pixels(response.content)
    assert max(image.size) <= previews.MAX_PREVIEW_SIDE
    assert image.size == (1200, 1200)
    assert close_to(image.getpixel((300, 600)), RED)
    assert close_to(image.getpixel((900, 100)), WHITE)
    assert float(response["X-Preview-Scale"]) == pytest.approx(0.3)


@pytest.mark.django_db
def test_a_preview_is_watermarked_and_at_most_1200_px_long(alice_client, template):
    # A blank white card: anything not white in the preview is the watermark.
    body = card(width=1800, height=600)
    body["elements"] = []
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), body)
    assert response.status_code == 200
    image = pixels(response.content)
    assert image.size == (1200, 400)
    marked = sum(1 for x in range(0, 1200, 4) for y in range(0, 400, 4) if not close_to(image.getpixel((x, y)), WHITE))
    assert marked > 50  # the diagonal SANDBOX text, as on a test key's image


@pytest.mark.django_db
def test_preview_returns_field_errors(alice_client, template):
    body = card()
    body["elements"][0]["fill"] = "red"
    body["elements"].append({"name": "Bad Name", "type": "rect", "width": 10, "height": 10})
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), body)
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"elements[0].fill", "elements[1].name"}


@pytest.mark.django_db
def test_preview_refuses_a_body_that_is_not_json(alice_client, template):
    response = alice_client.post(
        reverse("designer-preview", args=[template.public_id]), data="{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_json"


@pytest.mark.django_db
def test_preview_names_an_image_that_cannot_be_drawn(alice_client, template):
    body = card()
    body["elements"].append(
        {"name": "photo", "type": "image", "width": 50, "height": 50, "src": "data:image/png;base64,bm90IGFuIGltYWdl"}
    )
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "image_fetch_failed"
    assert error["field"] == "elements[1]"


@pytest.mark.django_db
def test_preview_refuses_another_accounts_template(bob_client, template):
    response = post_json(bob_client, reverse("designer-preview", args=[template.public_id]), card())
    assert response.status_code == 404


@pytest.mark.django_db
def test_preview_requires_login(client, template):
    response = post_json(client, reverse("designer-preview", args=[template.public_id]), card())
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_required"


@pytest.mark.django_db
def test_preview_requires_the_csrf_token(alice, template):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = post_json(client, reverse("designer-preview", args=[template.public_id]), card())
    assert response.status_code == 403


# --- save -------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_replaces_the_template_and_bumps_its_version(alice_client, template):
    body = card(name="Renamed", background=None)
    body["elements"][0]["x"] = 50
    response = post_json(alice_client, reverse("designer-save", args=[template.public_id]), body, method="put")
    assert response.status_code == 200
    saved = response.json()["template"]
    assert saved["version"] == 2 and saved["name"] == "Renamed" and saved["background"] is None
    template.refresh_from_db()
    assert template.version == 2
    assert template.elements[0]["x"] == 50
    assert template.elements[0]["rotation"] == 0  # defaults filled in as by the API


@pytest.mark.django_db
def test_save_returns_field_errors_and_changes_nothing(alice_client, template):
    body = card()
    body["elements"].append({"name": "bar", "type": "text", "width": 10, "height": 10, "font_size": -1})
    response = post_json(alice_client, reverse("designer-save", args=[template.public_id]), body, method="put")
    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("elements[1].name", "duplicate") in errors
    assert ("elements[1].font_size", "invalid") in errors
    template.refresh_from_db()
    assert template.version == 1


@pytest.mark.django_db
def test_save_detects_a_change_made_elsewhere(alice_client, template):
    services.update_template(template=template, data={"name": "From the API"}, partial=True)
    url = reverse("designer-save", args=[template.public_id])
    response = post_json(alice_client, url, {**card(), "version": 1}, method="put")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "version_conflict"
    response = alice_client.put(
        url, data=json.dumps({**card(), "version": 1}), content_type="application/json", HTTP_X_OVERWRITE="1"
    )
    assert response.status_code == 200
    assert response.json()["template"]["version"] == 3


@pytest.mark.django_db
def test_save_refuses_another_accounts_template_and_anonymous_users(bob_client, client, template):
    url = reverse("designer-save", args=[template.public_id])
    assert post_json(bob_client, url, card(), method="put").status_code == 404
    assert post_json(client, url, card(), method="put").status_code == 401
    template.refresh_from_db()
    assert template.version == 1


@pytest.mark.django_db
def test_save_accepts_only_put(alice_client, template):
    response = post_json(alice_client, reverse("designer-save", args=[template.public_id]), card())
    assert response.status_code == 405


# --- pages: designer, new, duplicate, delete ---------------------------------------------


@pytest.mark.django_db
def test_the_designer_page_carries_the_template_and_no_inline_script(alice_client, template):
    response = alice_client.get(reverse("designer", args=[template.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="designer-config"' in html and 'type="module"' in html
    config = json.loads(html.split('id="designer-config" type="application/json">')[1].split("</script>")[0])
    assert config["template"]["id"] == template.public_id
    assert set(config["fields"]["types"]) == {"text", "rect", "ellipse", "image", "qr_code"}
    assert "font_family" in config["fields"]["types"]["text"]
    assert any(font["family"] == "Inter" for font in config["fonts"])
    assert "YOUR_API_KEY" in html or "data-snippet" in html
    assert " style=" not in html and " onclick=" not in html
    assert "Content-Security-Policy" in response.headers


@pytest.mark.django_db
def test_the_designer_page_refuses_another_account_and_asks_anonymous_users_to_log_in(bob_client, client, template):
    assert bob_client.get(reverse("designer", args=[template.public_id])).status_code == 404
    response = client.get(reverse("designer", args=[template.public_id]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "size"),
    [
        ({"preset": "1080x1920"}, (1080, 1920)),
        ({"preset": "custom", "width": "800", "height": "200"}, (800, 200)),
    ],
)
def test_new_template_uses_the_chosen_size(alice_client, alice, form, size):
    response = alice_client.post(reverse("designer-new"), {"name": "Story", **form})
    template = DesignTemplate.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("designer", args=[template.public_id])
    assert (template.width, template.height, template.name) == (*size, "Story")


@pytest.mark.django_db
def test_new_template_shows_errors_for_a_bad_custom_size(alice_client, alice):
    response = alice_client.post(reverse("designer-new"), {"name": "x", "preset": "custom", "width": "0"})
    assert response.status_code == 400
    assert not DesignTemplate.objects.filter(owner=alice).exists()
    assert "at least 1" in response.content.decode()


@pytest.mark.django_db
def test_duplicate_copies_the_design(alice_client, alice, template):
    response = alice_client.post(reverse("designer-duplicate", args=[template.public_id]))
    assert response.status_code == 302
    copy = DesignTemplate.objects.exclude(pk=template.pk).get(owner=alice)
    assert copy.name == "Copy of Card"
    assert copy.elements == template.elements and copy.public_id != template.public_id


@pytest.mark.django_db
def test_delete_asks_first_then_deletes(alice_client, bob_client, template):
    url = reverse("designer-delete", args=[template.public_id])
    assert alice_client.get(url).status_code == 200
    assert DesignTemplate.objects.filter(pk=template.pk).exists()
    assert bob_client.post(url).status_code == 404
    assert alice_client.post(url).status_code == 302
    assert not DesignTemplate.objects.filter(pk=template.pk).exists()


@pytest.mark.django_db
def test_the_gallery_searches_and_links_to_the_designer(alice_client, alice, template):
    DesignTemplate.objects.create(owner=alice, **card(name="Other"))
    response = alice_client.get(reverse("dash-templates"), {"q": "card"})
    html = response.content.decode()
    assert reverse("designer", args=[template.public_id]) in html
    assert "Other" not in html


# --- thumbnails ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_renders_a_400_px_thumbnail(template):
    assert refresh_thumbnail.call(template_id=template.pk) is True
    template.refresh_from_db()
    assert template.thumbnail_version == template.version
    with template.thumbnail.open("rb") as handle:
        image = pixels(handle.read())
    assert image.size == (400, 200)
    assert close_to(image.getpixel((60, 100)), RED)  # the bar is the left third
    assert close_to(image.getpixel((200, 100)), WHITE)
    assert refresh_thumbnail.call(template_id=template.pk) is False  # already current


@pytest.mark.django_db
def test_a_save_replaces_the_thumbnail(template, django_capture_on_commit_callbacks):
    refresh_thumbnail.call(template_id=template.pk)
    template.refresh_from_db()
    old_name = template.thumbnail.name
    body = card()
    body["elements"][0]["fill"] = "#1e3cdc"
    with django_capture_on_commit_callbacks(execute=True):
        services.update_template(template=template, data=body, partial=False)
    template.refresh_from_db()
    assert template.thumbnail_version == 2 and template.thumbnail.name != old_name
    assert not template.thumbnail.storage.exists(old_name)
    with template.thumbnail.open("rb") as handle:
        assert close_to(pixels(handle.read()).getpixel((60, 100)), BLUE)


@pytest.mark.django_db
def test_creating_a_template_queues_its_thumbnail(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        template = services.create_template(owner=alice, data=card())
    template.refresh_from_db()
    assert template.thumbnail and template.thumbnail_version == 1


@pytest.mark.django_db
def test_the_thumbnail_is_served_to_its_owner_only(alice_client, bob_client, template):
    url = reverse("template-thumbnail", args=[template.public_id])
    assert alice_client.get(url).status_code == 404  # not rendered yet
    refresh_thumbnail.call(template_id=template.pk)
    response = alice_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert bob_client.get(url).status_code == 404
    gallery = alice_client.get(reverse("dash-templates")).content.decode()
    assert url in gallery


@pytest.mark.django_db
def test_the_api_preview_url_is_the_unguessable_thumbnail(api, client, template):
    assert api.get(f"/api/v1/templates/{template.public_id}").json()["preview_url"] is None
    refresh_thumbnail.call(template_id=template.pk)
    preview_url = api.get(f"/api/v1/templates/{template.public_id}").json()["preview_url"]
    path = preview_url.removeprefix("https://img.example.test")
    token = path.split("/")[3]
    assert len(token) >= 32
    response = client.get(path)  # no login, no key: the URL is the capability
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client.get(path.replace(token, "x" * len(token))).status_code == 404


@pytest.mark.django_db
def test_deleting_a_template_deletes_its_thumbnail(template):
    refresh_thumbnail.call(template_id=template.pk)
    template.refresh_from_db()
    name = template.thumbnail.name
    services.delete_template(template=template)
    assert not DesignTemplate.objects.filter(pk=template.pk).exists()
    from django.core.files.storage import default_storage

    assert not default_storage.exists(name)


# --- "Render a test image" (designer.render_test_image) ------------------------------


def share_close_to(picture: PILImage.Image, box: tuple[int, int, int, int], colour, tolerance: int = 12) -> float:
    """The share of pixels in `box` near `colour` (the sandbox watermark crosses every region)."""
    region = list(picture.crop(box).get_flattened_data())
    return sum(close_to(pixel, colour, tolerance) for pixel in region) / len(region)


def test_render_test_image_renders_the_saved_template_free_in_the_sandbox(alice_client, alice, template):
    ledger_before = list(LedgerEntry.objects.values_list("pk", flat=True))
    balance = alice.billing.balance
    response = post_json(alice_client, reverse("designer-test-render", args=[template.public_id]), {"version": 1})
    assert response.status_code == 201
    body = response.json()
    image = Image.objects.get(owner=alice)
    assert body["image"]["id"] == image.public_id and body["image"]["url"] == image.url
    assert body["page"] == reverse("dash-image", args=[image.public_id])
    assert (image.sandbox, image.credits_used, image.status, image.template_version) == (True, 0, "completed", 1)
    assert list(LedgerEntry.objects.values_list("pk", flat=True)) == ledger_before
    alice.billing.refresh_from_db()
    assert alice.billing.balance == balance
    picture = pixels(image.file.read())
    assert picture.size == (600, 300)
    assert share_close_to(picture, (20, 20, 180, 280), RED) > 0.6  # the red bar
    assert share_close_to(picture, (300, 20, 580, 280), WHITE) > 0.6  # the white background


def test_render_test_image_refuses_an_outdated_version(alice_client, template):
    response = post_json(alice_client, reverse("designer-test-render", args=[template.public_id]), {"version": 7})
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "version_conflict"
    assert not Image.objects.exists()


def test_render_test_image_refuses_another_accounts_template(bob_client, template):
    response = post_json(bob_client, reverse("designer-test-render", args=[template.public_id]), {})
    assert response.status_code == 404
    assert not Image.objects.exists()


def test_render_test_image_requires_login_and_csrf(client, alice, template):
    url = reverse("designer-test-render", args=[template.public_id])
    assert post_json(client, url, {}).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert post_json(strict, url, {}).status_code == 403
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_the_designers_json_errors_are_problem_json_like_the_apis(alice_client, template):
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), {"width": -5})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].startswith("https://imagior.dev/problems/") and body["status"] == 400
    assert body["code"] == "validation_error" and body["request_id"]
    assert body["errors"] and all({"field", "code", "message"} <= set(error) for error in body["errors"])


def assert_problem(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code) and body["request_id"]
    assert body["errors"][0]["code"] == code  # what the page shows


JSON_ENDPOINTS = [("designer-preview", "post"), ("designer-save", "put"), ("designer-test-render", "post")]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), JSON_ENDPOINTS)
def test_another_accounts_template_is_a_problem_json_404(bob_client, template, name, method):
    response = post_json(bob_client, reverse(name, args=[template.public_id]), card(), method=method)
    assert_problem(response, 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), JSON_ENDPOINTS)
def test_a_wrong_method_is_a_problem_json_405(alice_client, template, name, method):
    wrong = "post" if method == "put" else "put"
    response = post_json(alice_client, reverse(name, args=[template.public_id]), card(), method=wrong)
    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == method.upper()
    assert_problem(alice_client.get(reverse(name, args=[template.public_id])), 405, "method_not_allowed")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), JSON_ENDPOINTS)
def test_a_missing_csrf_token_is_a_problem_json_403(alice, template, name, method):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    url = reverse(name, args=[template.public_id])
    assert_problem(post_json(strict, url, {**card(), "version": 1}, method=method), 403, "permission_denied")
    template.refresh_from_db()
    assert template.version == 1 and not Image.objects.exists()
    # With the page's token the same request goes through.
    token = strict.get(reverse("designer", args=[template.public_id])).cookies["csrftoken"].value
    response = getattr(strict, method)(
        url, data=json.dumps({**card(), "version": 1}), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code in (200, 201)


@pytest.mark.django_db
def test_a_crash_is_a_problem_json_500_not_a_traceback(alice_client, template, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(previews, "render_preview", crash)
    response = post_json(alice_client, reverse("designer-preview", args=[template.public_id]), card())
    assert_problem(response, 500, "internal_error")
    assert "boom" not in response.content.decode()


@pytest.mark.django_db
def test_the_designer_sends_the_template_in_the_apis_shape(alice_client, api, template):
    response = post_json(alice_client, reverse("designer-save", args=[template.public_id]), card(), method="put")
    assert response.json()["template"] == api.get(f"/api/v1/templates/{template.public_id}").json()


# --- remote pictures for the canvas --------------------------------------------------


@pytest.fixture
def picture_server():
    """A loopback HTTP server with a red JPEG, a blue PNG and a web page, counting requests."""

    def encoded(color, fmt):
        buffer = io.BytesIO()
        PILImage.new("RGB", (40, 30), color).save(buffer, fmt)
        return buffer.getvalue()

    served = {
        "/red.jpg": ("image/jpeg", encoded(RED, "JPEG")),
        "/blue.png": ("image/png", encoded(BLUE, "PNG")),
        "/page.html": ("text/html", b"<html></html>"),
    }
    with serving(served) as (base, hits):
        yield base, hits


@pytest.mark.django_db
def test_picture_answers_a_remote_pictures_bytes_with_its_type_and_caches_it(
    alice_client, template, picture_server, settings
):
    settings.ALLOW_PRIVATE_FETCH = True  # the test's server is on loopback
    base, hits = picture_server
    url = reverse("designer-picture", args=[template.public_id])
    response = alice_client.get(url, {"src": f"{base}/red.jpg"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=300"
    assert close_to(pixels(response.content).getpixel((20, 15)), RED)
    response = alice_client.get(url, {"src": f"{base}/blue.png"})
    assert response["Content-Type"] == "image/png" and pixels(response.content).getpixel((5, 5)) == BLUE
    # Asked again within its freshness: the fetcher's cache answers, not the remote server.
    assert alice_client.get(url, {"src": f"{base}/red.jpg"}).status_code == 200
    assert hits == ["/red.jpg", "/blue.png"]


@pytest.mark.django_db
def test_picture_refuses_loopback_and_private_addresses_unless_allowed(alice_client, template, picture_server):
    base, hits = picture_server
    url = reverse("designer-picture", args=[template.public_id])
    for src in (
        f"{base}/red.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.png",
        "http://[::1]/x.png",
    ):
        response = alice_client.get(url, {"src": src})
        assert response.status_code == 400, src
        assert response.json()["code"] == "image_fetch_failed"
        assert response.json()["detail"] == "The picture could not be fetched."
    assert hits == []  # refused before connecting


@pytest.mark.django_db
def test_picture_refuses_what_is_not_a_picture_and_other_schemes(alice_client, template, picture_server, settings):
    settings.ALLOW_PRIVATE_FETCH = True
    base, _ = picture_server
    url = reverse("designer-picture", args=[template.public_id])
    for src in (f"{base}/page.html", f"{base}/missing.png"):
        response = alice_client.get(url, {"src": src})
        assert (response.status_code, response.json()["code"]) == (400, "image_fetch_failed")
    for src in ("file:///etc/passwd", "ftp://example.com/x.png", "", "/static/x.png"):
        response = alice_client.get(url, {"src": src})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_url")


@pytest.mark.django_db
def test_picture_is_for_the_templates_owner_only(bob_client, client, template, picture_server, settings):
    settings.ALLOW_PRIVATE_FETCH = True
    base, hits = picture_server
    url = reverse("designer-picture", args=[template.public_id])
    assert bob_client.get(url, {"src": f"{base}/red.jpg"}).status_code == 404
    assert client.get(url, {"src": f"{base}/red.jpg"}).status_code == 401
    assert hits == []


# --- font upload ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_font_uploaded_from_the_designer_is_stored_for_its_account(alice_client, alice, bob):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from api.tests.fontfiles import square_font
    from templates_app.models import UserFont

    url = reverse("designer-font-upload")
    response = alice_client.post(url, {"file": SimpleUploadedFile("acme.ttf", square_font())})
    assert response.status_code == 201, response.content
    font = UserFont.objects.get(owner=alice)
    assert response.json() == {"font": {"family": font.family, "weight": font.weight, "italic": font.italic}}
    assert not UserFont.objects.filter(owner=bob).exists()
    # The designer then lists it with the account's fonts.
    assert [f["family"] for f in services.fonts_by_family(alice)] == [font.family]


@pytest.mark.django_db
def test_font_upload_refuses_a_bad_file_a_missing_one_and_anonymous_users(alice_client, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from templates_app.models import UserFont

    url = reverse("designer-font-upload")
    response = alice_client.post(url, {"file": SimpleUploadedFile("x.ttf", b"not a font at all" * 10)})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_font")
    assert alice_client.post(url, {}).json()["code"] == "required"
    assert client.post(url, {"file": SimpleUploadedFile("x.ttf", b"x")}).status_code == 401
    assert not UserFont.objects.exists()
