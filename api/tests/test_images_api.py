import pytest
import zxingcpp

from api.tests.pixels import close_to, dark_pixels_in, fetch, open_image, png_data_uri
from billing.models import LedgerEntry
from conftest import balance
from templates_app.models import Image

# One element of each type at a known place on a white 400×300 canvas.
EVERYTHING = {
    "name": "Everything",
    "width": 400,
    "height": 300,
    "background": "#ffffff",
    "elements": [
        {"name": "red", "type": "rect", "x": 10, "y": 10, "width": 80, "height": 60, "fill": "#ff0000"},
        {"name": "blue", "type": "ellipse", "x": 110, "y": 10, "width": 80, "height": 60, "fill": "#0000ff"},
        {
            "name": "photo",
            "type": "image",
            "x": 210,
            "y": 10,
            "width": 80,
            "height": 60,
            "src": png_data_uri((0, 160, 0)),
            "fit": "cover",
        },
        {
            "name": "title",
            "type": "text",
            "x": 10,
            "y": 100,
            "width": 280,
            "height": 60,
            "text": "Hello",
            "font_size": 40,
            "color": "#000000",
            "fit": "none",
        },
        {"name": "qr", "type": "qr_code", "x": 300, "y": 180, "width": 100, "height": 100, "value": "imagior"},
    ],
}


@pytest.fixture
def template(api):
    response = api.post("/api/v1/templates", EVERYTHING, format="json")
    assert response.status_code == 201
    return response.json()


def render(client, template, **body):
    return client.post("/api/v1/images", {"template": template["id"], **body}, format="json")


def test_it_renders_every_element_type_at_its_place(api, template, alice):
    response = render(api, template)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed" and body["id"].startswith("img_")
    assert (body["width"], body["height"], body["format"]) == (400, 300, "png")
    assert body["credits_used"] == 1 and body["sandbox"] is False and body["template_version"] == 1
    assert response["X-Credits-Remaining"] == "49"

    file = fetch(body["url"])
    assert file.status_code == 200 and file["Content-Type"] == "image/png"
    image = open_image(b"".join(file.streaming_content))
    assert image.size == (400, 300)
    assert close_to(image.getpixel((50, 40)), (255, 0, 0, 255))
    assert close_to(image.getpixel((150, 40)), (0, 0, 255, 255))
    assert close_to(image.getpixel((112, 12)), (255, 255, 255, 255)), "ellipse corners stay background"
    assert close_to(image.getpixel((250, 40)), (0, 160, 0, 255))
    assert dark_pixels_in(image, (10, 100, 290, 160)) > 200, "the title has ink inside its box"
    assert dark_pixels_in(image, (0, 165, 295, 300)) == 0, "and none below it"
    [code] = zxingcpp.read_barcodes(image.convert("RGB"))
    assert code.text == "imagior"


def test_modifications_change_the_pixels(api, template):
    body = render(api, template, modifications={"red.fill": "#00ff00", "title": "Changed"}).json()
    image = open_image(b"".join(fetch(body["url"]).streaming_content))
    assert close_to(image.getpixel((50, 40)), (0, 255, 0, 255))
    assert body["modifications"] == [{"name": "red", "fill": "#00ff00"}, {"name": "title", "text": "Changed"}]


def test_an_unknown_element_is_400_and_free(api, template, alice):
    response = render(api, template, modifications=[{"name": "titel", "text": "x"}])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_element" and "Did you mean 'title'" in body["detail"]
    assert body["errors"][0]["field"] == "modifications[0].name"
    assert balance(alice) == 50 and not Image.objects.exists()


def test_credits_run_out_with_a_403_before_any_render(api, template, alice):
    from billing import ledger

    ledger.set_balance(alice, balance=3)
    remaining = [render(api, template)["X-Credits-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    fourth = render(api, template)
    assert fourth.status_code == 403 and fourth.json()["code"] == "insufficient_credits"
    assert fourth["Content-Type"] == "application/problem+json"
    assert Image.objects.count() == 3
    assert LedgerEntry.objects.filter(account__user=alice, kind="render").count() == 3
    assert balance(alice) == 0


@pytest.mark.parametrize(
    ("fmt", "magic", "content_type"),
    [
        ("png", b"\x89PNG", "image/png"),
        ("jpeg", b"\xff\xd8\xff", "image/jpeg"),
        ("webp", b"RIFF", "image/webp"),
        ("pdf", b"%PDF", "application/pdf"),
    ],
)
def test_every_format_has_its_magic_bytes_and_content_type(api, template, fmt, magic, content_type):
    body = render(api, template, format=fmt).json()
    assert body["format"] == fmt and body["url"].endswith(f".{fmt}")
    file = fetch(body["url"])
    content = b"".join(file.streaming_content)
    assert content.startswith(magic) and file["Content-Type"] == content_type
    assert body["file_size"] == len(content)


def test_scale_multiplies_the_pixel_size(api, template):
    body = render(api, template, scale=2).json()
    assert (body["width"], body["height"]) == (800, 600)
    image = open_image(b"".join(fetch(body["url"]).streaming_content))
    assert image.size == (800, 600)
    assert close_to(image.getpixel((100, 80)), (255, 0, 0, 255))


def test_quality_changes_the_jpeg_size(api, template):
    low = render(api, template, format="jpeg", quality=5).json()["file_size"]
    high = render(api, template, format="jpeg", quality=95).json()["file_size"]
    assert low < high


def test_bad_render_parameters_are_400_and_free(api, template, alice):
    for body in (
        {"format": "gif"},
        {"scale": 5},
        {"scale": 0},
        {"quality": 0},
        {"modifications": 3},
        {"templat": "x"},
        {"metadata": "x"},
    ):
        response = render(api, template, **body)
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error"
    assert balance(alice) == 50 and not Image.objects.exists()


def test_a_non_data_src_is_refused_as_image_fetch_failed_for_free(api, template, alice):
    # IP literals: refused by the address check before any connection or DNS look-up.
    for src in ("https://10.1.2.3/a.png", "file:///etc/passwd", "http://127.0.0.1/x.png"):
        response = render(api, template, modifications={"photo": src})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "image_fetch_failed" and "photo" in body["detail"] + str(body.get("errors"))
    assert balance(alice) == 50 and not Image.objects.exists()


def test_an_output_over_16_megapixels_is_refused_for_free(api, alice):
    big = api.post("/api/v1/templates", {"width": 4000, "height": 4000}, format="json").json()
    response = render(api, big, scale=1.1)
    assert response.status_code == 400 and response.json()["code"] == "output_too_large"
    assert balance(alice) == 50 and not Image.objects.exists()


def test_a_failed_render_is_refunded(api, template, alice, settings):
    # A real failure after the charge: the render blows its memory budget in the worker.
    settings.RENDER_MEMORY_MB = 120
    template = api.post("/api/v1/templates", {"width": 4000, "height": 4000}, format="json").json()
    response = render(api, template)
    assert response.status_code == 500 and response.json()["code"] == "render_failed"
    assert "memory" in response.json()["detail"]
    image = Image.objects.get()
    assert image.status == "failed" and image.credits_used == 0 and image.error["code"] == "render_failed"
    assert balance(alice) == 50
    kinds = list(LedgerEntry.objects.filter(reference=image.public_id).order_by("id").values_list("kind", "amount"))
    assert kinds == [("render", -1), ("refund", 1)]


def test_sandbox_renders_are_free_watermarked_and_separate(api, sandbox_api, template, alice):
    live = render(api, template).json()
    sandbox = render(sandbox_api, template)
    assert sandbox.status_code == 201
    body = sandbox.json()
    assert body["sandbox"] is True and body["credits_used"] == 0
    assert sandbox["X-Credits-Remaining"] == "49"
    assert balance(alice) == 49

    clean = open_image(b"".join(fetch(live["url"]).streaming_content))
    marked = open_image(b"".join(fetch(body["url"]).streaming_content))
    differing = sum(
        1
        for a, b in zip(clean.get_flattened_data(), marked.get_flattened_data(), strict=False)
        if not close_to(a, b, 8)
    )
    assert differing > 2000, "the watermark is visible"

    assert [i["id"] for i in sandbox_api.get("/api/v1/images").json()["results"]] == [body["id"]]
    assert [i["id"] for i in api.get("/api/v1/images").json()["results"]] == [live["id"]]
    assert api.get(f"/api/v1/images/{body['id']}").status_code == 404
    assert sandbox_api.get(f"/api/v1/images/{live['id']}").status_code == 404


def test_images_list_newest_first_with_filters(api, template):
    first = render(api, template).json()
    second = render(api, template).json()
    listing = api.get("/api/v1/images?limit=1").json()
    assert listing["count"] == 2 and listing["results"][0]["id"] == second["id"]
    assert api.get(f"/api/v1/images?template={template['id']}").json()["count"] == 2
    assert api.get("/api/v1/images?template=tpl_other").json()["count"] == 0
    assert api.get("/api/v1/images?status=failed").json()["count"] == 0
    assert api.get(f"/api/v1/images/{first['id']}").json()["url"] == first["url"]


def test_another_accounts_image_and_template_are_404(api, bob_api, template):
    image = render(api, template).json()
    assert bob_api.get(f"/api/v1/images/{image['id']}").status_code == 404
    assert bob_api.delete(f"/api/v1/images/{image['id']}").status_code == 404
    response = bob_api.post("/api/v1/images", {"template": template["id"]}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Image.objects.count() == 1


def test_image_urls_are_absolute_unguessable_and_gone_after_delete(api, template):
    body = render(api, template).json()
    assert body["url"].startswith("https://img.example.test/files/images/")
    token = body["url"].split("/")[-2]
    assert len(token) >= 22  # ≥ 128 random bits
    assert fetch(body["url"]).status_code == 200
    assert fetch(body["url"].replace(token, token[:-2] + "xx")).status_code == 404
    assert api.delete(f"/api/v1/images/{body['id']}").status_code == 204
    assert fetch(body["url"]).status_code == 404
    assert api.get(f"/api/v1/images/{body['id']}").status_code == 404


def test_metadata_is_kept(api, template):
    body = render(api, template, metadata={"order": "42"}).json()
    assert body["metadata"] == {"order": "42"}
    assert api.get(f"/api/v1/images/{body['id']}").json()["metadata"] == {"order": "42"}


def test_the_documented_image_fields_are_exactly_the_ones_sent(api, alice):
    from api.serializers import ImageSerializer
    from templates_app.representations import image_data

    template = api.post("/api/v1/templates", EVERYTHING, format="json").json()["id"]
    image = Image.objects.get(public_id=api.post("/api/v1/images", {"template": template}, format="json").json()["id"])
    assert set(ImageSerializer().fields) == set(image_data(image))
