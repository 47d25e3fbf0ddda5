"""Download my data: a zip of one's own templates (templates.json) and images' files."""

import io
import json
import zipfile

import pytest
from PIL import Image as PILImage

from templates_app.models import Image


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def alice_image(api, small_card):
    response = api.post("/api/v1/images", {"template": small_card["id"]}, format="json")
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def bobs_things(bob_api):
    card = {"name": "Bob's card", "width": 40, "height": 40, "background": "#0000ff", "elements": []}
    template = bob_api.post("/api/v1/templates", card, format="json").json()
    image = bob_api.post("/api/v1/images", {"template": template["id"]}, format="json").json()
    return template, image


def test_the_export_holds_every_template_and_image_file(alice_client, api, small_card, alice_image, bobs_things):
    response = alice_client.get("/dashboard/profile/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="imagior-export-')
    archive = zip_of(response)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["images/" + alice_image["id"] + ".png", "templates.json"]

    templates = json.loads(archive.read("templates.json"))["templates"]
    assert templates == [api.get(f"/api/v1/templates/{small_card['id']}").json()]
    png = PILImage.open(io.BytesIO(archive.read(f"images/{alice_image['id']}.png")))
    assert png.format == "PNG" and png.size == (120, 80)
    assert png.convert("RGB").getpixel((30, 30)) == (255, 0, 0)  # the red box

    # Nothing of bob's: neither his template nor his image.
    bob_template, bob_image = bobs_things
    assert bob_template["id"] not in archive.read("templates.json").decode()
    assert not any(bob_image["id"] in name for name in archive.namelist())


def test_an_image_gone_from_the_store_is_left_out(alice_client, alice_image):
    image = Image.objects.get(public_id=alice_image["id"])
    image.file.storage.delete(image.file.name)
    archive = zip_of(alice_client.get("/dashboard/profile/export.zip"))
    assert archive.namelist() == ["templates.json"]


def test_the_size_guard_refuses_a_too_large_export(alice_client, alice_image, settings):
    settings.ACCOUNT_EXPORT_MAX_BYTES = 100
    response = alice_client.get("/dashboard/profile/export.zip")
    assert response.status_code == 302 and response["Location"] == "/dashboard/profile"
    assert "too many to export" in alice_client.get("/dashboard/profile").content.decode()


def test_an_empty_account_exports_an_empty_list(bob_client):
    archive = zip_of(bob_client.get("/dashboard/profile/export.zip"))
    assert archive.namelist() == ["templates.json"]
    assert json.loads(archive.read("templates.json")) == {"templates": []}


def test_the_export_needs_a_login(client, db):
    response = client.get("/dashboard/profile/export.zip")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_profile_and_delete_pages_offer_it(alice_client):
    for url in ("/dashboard/profile", "/dashboard/profile/delete"):
        html = alice_client.get(url).content.decode()
        assert 'href="/dashboard/profile/export.zip"' in html and "Download my data" in html, url
