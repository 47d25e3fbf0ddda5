import jsonschema
import pytest

from api.tests.pixels import close_to, fetch, open_image, png_data_uri
from billing.models import BillingAccount

CARD = {
    "width": 120,
    "height": 80,
    "background": "#ffffff",
    "elements": [
        {"name": "box", "type": "rect", "x": 10, "y": 10, "width": 50, "height": 50, "fill": "#ff0000"},
        {"name": "title", "type": "text", "x": 0, "y": 60, "width": 120, "height": 20, "text": "Hi", "align": "center"},
        {"name": "photo", "type": "image", "x": 70, "y": 10, "width": 40, "height": 40, "src": ""},
        {"name": "qr", "type": "qr_code", "x": 0, "y": 0, "width": 10, "height": 10, "value": "x"},
    ],
}


@pytest.fixture
def template(api):
    return api.post("/api/v1/templates", CARD, format="json").json()


def test_an_edit_merges_modifications_over_the_originals(api, template, alice):
    original = api.post(
        "/api/v1/images",
        {
            "template": template["id"],
            "modifications": {"title": "First", "box.fill": "#00ff00"},
            "format": "jpeg",
            "metadata": {"order": "7"},
        },
        format="json",
    ).json()
    response = api.post(f"/api/v1/images/{original['id']}/edit", {"modifications": {"title": "Second"}}, format="json")
    assert response.status_code == 201
    edited = response.json()
    assert edited["id"] != original["id"] and edited["source_image"] == original["id"]
    assert edited["modifications"] == [{"name": "title", "text": "Second"}, {"name": "box", "fill": "#00ff00"}]
    assert edited["format"] == "jpeg" and edited["metadata"] == {"order": "7"}
    image = open_image(b"".join(fetch(edited["url"]).streaming_content))
    assert close_to(image.getpixel((30, 30)), (0, 255, 0, 255), 20), "the original's fill is kept"
    assert BillingAccount.objects.get(user=alice).balance == 48, "an edit costs like a render"


def test_an_edit_may_change_format_and_scale(api, template):
    original = api.post("/api/v1/images", {"template": template["id"]}, format="json").json()
    edited = api.post(f"/api/v1/images/{original['id']}/edit", {"format": "webp", "scale": 2}, format="json").json()
    assert (edited["format"], edited["width"], edited["height"]) == ("webp", 240, 160)


def test_edits_refuse_other_accounts_and_bad_input(api, bob_api, template):
    original = api.post("/api/v1/images", {"template": template["id"]}, format="json").json()
    assert bob_api.post(f"/api/v1/images/{original['id']}/edit", {}, format="json").status_code == 404
    unknown = api.post(f"/api/v1/images/{original['id']}/edit", {"modifications": {"nope": "x"}}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_element"
    assert api.post(f"/api/v1/images/{original['id']}/edit", {"scale": 9}, format="json").status_code == 400


def test_the_schema_names_every_element_with_types_enums_and_defaults(api, template):
    response = api.get(f"/api/v1/templates/{template['id']}/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]) == {"box", "title", "photo", "qr"}
    title = schema["$defs"]["title"]["properties"]
    assert title["text"]["default"] == "Hi" and title["text"]["type"] == "string"
    assert title["align"]["enum"] == ["left", "center", "right"] and title["align"]["default"] == "center"
    assert title["font_weight"]["type"] == "integer" and title["font_weight"]["maximum"] == 900
    assert schema["$defs"]["box"]["properties"]["fill"]["default"] == "#ff0000"


@pytest.mark.parametrize(
    ("modifications", "valid"),
    [
        ([{"name": "title", "text": "Hello", "color": "#ffffff"}], True),
        ({"title": {"text": "Hello"}, "photo": png_data_uri((0, 0, 255))}, True),
        ({"title": "Hello", "title.color": "#fff", "box.border_radius": 4}, True),
        ([{"name": "titel", "text": "x"}], False),
        ({"title.font_weight": 1000}, False),
        ({"title.align": "justify"}, False),
        ({"box.fill": "red"}, False),
    ],
)
def test_the_schema_accepts_what_the_api_accepts(api, template, modifications, valid):
    schema = api.get(f"/api/v1/templates/{template['id']}/schema").json()
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(modifications) is valid
    response = api.post("/api/v1/images", {"template": template["id"], "modifications": modifications}, format="json")
    assert (response.status_code == 201) is valid, response.content


def test_another_accounts_schema_is_404(bob_api, template):
    assert bob_api.get(f"/api/v1/templates/{template['id']}/schema").status_code == 404
