import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.schema import FontFamilySerializer
from api.serializers import UserFontSerializer
from api.tests.fontfiles import square_font
from api.tests.pixels import dark_pixels_in, fetch, open_image
from templates_app.models import UserFont


def upload(client, data: bytes, name: str = "acme.ttf", **fields):
    return client.post("/api/v1/fonts", {"file": SimpleUploadedFile(name, data), **fields}, format="multipart")


def test_the_catalogue_lists_at_least_twelve_families_with_licences(api):
    body = api.get("/api/v1/fonts").json()
    catalogue = [f for f in body["results"] if f["kind"] == "catalogue"]
    assert len({f["family"] for f in catalogue}) >= 12
    assert {"Inter", "Roboto", "Playfair Display", "JetBrains Mono"} <= {f["family"] for f in catalogue}
    assert all(f["licence"] and f["weights"] for f in catalogue)


@pytest.mark.parametrize("flavor", [None, "woff", "woff2"])
def test_an_uploaded_font_is_validated_and_listed_for_its_account_only(api, bob_api, alice, flavor):
    response = upload(api, square_font(flavor=flavor), name=f"acme.{flavor or 'ttf'}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("fnt_")
    assert (body["family"], body["weight"], body["italic"], body["format"]) == (
        "Acme Sans",
        700,
        False,
        flavor or "ttf",
    )
    stored = UserFont.objects.get(public_id=body["id"])
    assert stored.owner == alice and stored.file.read()[:4] == b"\x00\x01\x00\x00"

    mine = [f for f in api.get("/api/v1/fonts").json()["results"] if f["kind"] == "account"]
    assert [(f["family"], f["weights"]) for f in mine] == [("Acme Sans", [700])]
    theirs = [f for f in bob_api.get("/api/v1/fonts").json()["results"] if f["kind"] == "account"]
    assert theirs == []
    assert bob_api.get(f"/api/v1/fonts/{body['id']}").status_code == 404


def test_fields_override_what_the_font_says_and_reuploads_replace(api):
    first = upload(api, square_font(), family="Brand", weight=400).json()
    second = upload(api, square_font(), family="Brand", weight=400).json()
    assert (second["family"], second["weight"]) == ("Brand", 400)
    assert UserFont.objects.count() == 1 and first["id"] == second["id"]


@pytest.mark.parametrize(
    "data",
    [b"not a font at all", square_font()[:200], b"ttcf" + b"\x00" * 100, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50],
)
def test_anything_but_a_font_is_refused(api, data):
    response = upload(api, data)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"][0]["field"] == "file"
    assert not UserFont.objects.exists()


def test_uploads_need_multipart_and_a_file(api):
    assert api.post("/api/v1/fonts", {"family": "x"}, format="json").status_code == 400
    response = api.post("/api/v1/fonts", {"family": "x"}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"


def test_an_upload_over_ten_megabytes_is_413(api):
    response = upload(api, b"\x00\x01\x00\x00" + b"\x00" * (10 * 1024 * 1024 + 100 * 1024))
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_a_template_draws_with_the_accounts_font_and_warns_about_unknown_ones(api, bob_api):
    upload(api, square_font())
    template = {
        "width": 300,
        "height": 120,
        "background": "#ffffff",
        "elements": [
            {
                "name": "block",
                "type": "text",
                "x": 10,
                "y": 10,
                "width": 280,
                "height": 100,
                "text": "A",
                "font_family": "Acme Sans",
                "font_weight": 700,
                "font_size": 100,
                "fit": "none",
            },
        ],
    }
    created = api.post("/api/v1/templates", template, format="json").json()
    body = api.post("/api/v1/images", {"template": created["id"]}, format="json").json()
    assert body["warnings"] == []
    image = open_image(b"".join(fetch(body["url"]).streaming_content))
    # The block glyph is 60 × 70 px at 100 px: a solid rectangle of ink.
    assert dark_pixels_in(image, (10, 10, 290, 110)) > 3500

    body = api.post(
        "/api/v1/images",
        {"template": created["id"], "modifications": {"block.font_family": "Nope Sans"}},
        format="json",
    ).json()
    assert [w["code"] for w in body["warnings"]] == ["font_not_found"]
    image = open_image(b"".join(fetch(body["url"]).streaming_content))
    assert dark_pixels_in(image, (10, 10, 290, 110)) < 3000, "Inter's A is no block"


def test_the_documented_font_fields_are_exactly_the_ones_sent(api):
    documented = set(UserFontSerializer().fields)
    created = upload(api, square_font()).json()
    assert documented == set(created) == set(api.get(f"/api/v1/fonts/{created['id']}").json())
    [family] = [f for f in api.get("/api/v1/fonts").json()["results"] if f["kind"] == "account"]
    assert set(family) <= set(FontFamilySerializer().fields)
    assert FontFamilySerializer().fields["files"].child.__class__ is UserFontSerializer
    assert [set(file) for file in family["files"]] == [documented]
