"""Remote `src` URLs through the API: fetched by the SSRF-safe fetcher, refused for free."""

import io

import pytest
from PIL import Image as PILImage

from api.tests.pixels import close_to, fetch, open_image
from billing.models import BillingAccount
from conftest import serving
from templates_app.models import Image


def jpeg(color, size=(160, 120)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def photo_server():
    served = {"/photo.jpg": ("image/jpeg", jpeg((200, 40, 40))), "/page.html": ("text/html", b"<html></html>")}
    with serving(served) as (base, _):
        yield base


@pytest.fixture
def photo_template(api):
    body = {
        "width": 200,
        "height": 100,
        "background": "#ffffff",
        "elements": [{"name": "photo", "type": "image", "x": 100, "y": 0, "width": 100, "height": 100, "src": ""}],
    }
    return api.post("/api/v1/templates", body, format="json").json()


def test_a_remote_photo_lands_in_its_box(api, photo_template, photo_server, settings):
    settings.ALLOW_PRIVATE_FETCH = True  # the test's server is on loopback
    response = api.post(
        "/api/v1/images",
        {"template": photo_template["id"], "modifications": {"photo": f"{photo_server}/photo.jpg"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    image = open_image(b"".join(fetch(response.json()["url"]).streaming_content))
    assert close_to(image.getpixel((150, 50)), (200, 40, 40, 255), 16)
    assert close_to(image.getpixel((50, 50)), (255, 255, 255, 255))


@pytest.mark.parametrize(
    "src",
    [
        "http://127.0.0.1:9/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/x.png",
        "http://[::1]/x.png",
        "file:///etc/passwd",
        "ftp://example.com/x.png",
    ],
)
def test_private_addresses_and_other_schemes_are_refused_for_free(api, photo_template, alice, src):
    response = api.post(
        "/api/v1/images", {"template": photo_template["id"], "modifications": {"photo": src}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "image_fetch_failed" and "photo" in body["detail"]
    assert BillingAccount.objects.get(user=alice).balance == 50 and not Image.objects.exists()


def test_non_image_content_is_refused_with_the_same_message(api, photo_template, photo_server, settings, alice):
    settings.ALLOW_PRIVATE_FETCH = True
    details = set()
    for path in ("/page.html", "/missing.png"):
        response = api.post(
            "/api/v1/images",
            {"template": photo_template["id"], "modifications": {"photo": photo_server + path}},
            format="json",
        )
        assert response.status_code == 400 and response.json()["code"] == "image_fetch_failed"
        details.add(response.json()["detail"])
    assert len(details) == 1, "one message whatever the cause: no probing oracle"
    assert BillingAccount.objects.get(user=alice).balance == 50
