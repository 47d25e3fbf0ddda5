import pytest

from api.serializers import TemplateSerializer
from templates_app.models import DesignTemplate

CARD = {
    "name": "Blog card",
    "width": 1200,
    "height": 630,
    "background": "#0b0d12",
    "elements": [
        {"name": "title", "type": "text", "x": 60, "y": 60, "width": 1080, "height": 200, "text": "Hello"},
        {"name": "box", "type": "rect", "x": 0, "y": 500, "width": 1200, "height": 130, "fill": "#ff0000"},
    ],
}


@pytest.fixture
def card(api):
    return api.post("/api/v1/templates", CARD, format="json").json()


def test_it_creates_a_template_with_defaults_filled(api, alice):
    response = api.post("/api/v1/templates", CARD, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("tpl_") and body["version"] == 1
    assert body["elements"][0]["font_family"] == "Inter"
    assert {"created_at", "updated_at", "preview_url"} <= body.keys()
    assert DesignTemplate.objects.get(public_id=body["id"]).owner == alice


def test_it_reports_every_invalid_field(api):
    bad = {**CARD, "width": 0, "elements": [{**CARD["elements"][0], "font_size": -3}, {"name": "b", "type": "blob"}]}
    response = api.post("/api/v1/templates", bad, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"] for e in body["errors"]}
    assert fields >= {"width", "elements[0].font_size", "elements[1].type"}
    assert not DesignTemplate.objects.exists()


def test_it_reads_replaces_and_updates_and_each_change_bumps_the_version(api, card):
    url = f"/api/v1/templates/{card['id']}"
    assert api.get(url).json()["name"] == "Blog card"
    patched = api.patch(url, {"name": "Renamed"}, format="json").json()
    assert (patched["name"], patched["version"], len(patched["elements"])) == ("Renamed", 2, 2)
    replaced = api.put(url, {**CARD, "elements": []}, format="json").json()
    assert (replaced["name"], replaced["version"], replaced["elements"]) == ("Blog card", 3, [])


def test_put_needs_the_whole_template(api, card):
    response = api.put(f"/api/v1/templates/{card['id']}", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"width", "height"}
    assert api.get(f"/api/v1/templates/{card['id']}").json()["version"] == 1


def test_it_deletes(api, card):
    assert api.delete(f"/api/v1/templates/{card['id']}").status_code == 204
    assert api.get(f"/api/v1/templates/{card['id']}").status_code == 404


def test_it_refuses_another_accounts_template(bob_api, card):
    url = f"/api/v1/templates/{card['id']}"
    for response in (bob_api.get(url), bob_api.patch(url, {"name": "mine"}, format="json"), bob_api.delete(url)):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert DesignTemplate.objects.get(public_id=card["id"]).name == "Blog card"


def test_lists_show_own_templates_only_and_page_with_limit_and_offset(api, bob_api):
    for index in range(5):
        api.post("/api/v1/templates", {**CARD, "name": f"t{index}"}, format="json")
    bob_api.post("/api/v1/templates", {**CARD, "name": "bob's"}, format="json")
    page = api.get("/api/v1/templates?limit=2&offset=1").json()
    assert page["count"] == 5
    assert [t["name"] for t in page["results"]] == ["t3", "t2"]
    assert "offset=3" in page["next"] and page["previous"] is not None
    everything = api.get("/api/v1/templates?limit=1000").json()
    assert len(everything["results"]) == 5 and everything["next"] is None
    assert "bob's" not in [t["name"] for t in everything["results"]]


def test_the_default_page_is_twenty_and_the_maximum_a_hundred(api, alice):
    DesignTemplate.objects.bulk_create(
        DesignTemplate(owner=alice, name=f"n{i}", width=10, height=10) for i in range(105)
    )
    assert len(api.get("/api/v1/templates").json()["results"]) == 20
    assert len(api.get("/api/v1/templates?limit=500").json()["results"]) == 100


@pytest.mark.parametrize("bad", [{"type": {}}, {"type": ["text"]}, {"type": "rect", "name": {}}])
def test_json_objects_where_strings_belong_are_a_validation_error(api, card, bad):
    element = {"name": "box", "type": "rect", "width": 1, "height": 1, **bad}
    for response in (
        api.post("/api/v1/templates", {"width": 10, "height": 10, "elements": [element]}, format="json"),
        api.patch(f"/api/v1/templates/{card['id']}", {"elements": [element, element]}, format="json"),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=-1", "offset=null", "offset=-1", "limit=5&limit=6"])
def test_bad_list_parameters_are_refused_not_ignored(api, query):
    response = api.get(f"/api/v1/templates?{query}")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


def test_an_unknown_image_status_filter_is_refused(api):
    response = api.get("/api/v1/images?status=done")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"
    assert api.get("/api/v1/images?status=completed").status_code == 200


def test_if_match_updates_only_the_version_it_names(api, card):
    path = f"/api/v1/templates/{card['id']}"
    got = api.get(path)
    assert got["ETag"] == f'"{card["version"]}"'
    first = api.patch(path, {"name": "First"}, format="json", HTTP_IF_MATCH=got["ETag"])
    assert first.status_code == 200 and first["ETag"] == f'"{card["version"] + 1}"'
    # A second writer that read the same version loses, and nothing changes.
    stale = api.patch(path, {"name": "Second"}, format="json", HTTP_IF_MATCH=got["ETag"])
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert stale["ETag"] == first["ETag"]
    assert api.get(path).json()["name"] == "First"
    for header in (f'W/"{card["version"] + 1}"', "*"):
        assert api.patch(path, {"name": "Third"}, format="json", HTTP_IF_MATCH=header).status_code == 200
    assert api.put(path, CARD, format="json", HTTP_IF_MATCH="not-a-version").status_code == 412
    # Without If-Match the last write wins, as before.
    assert api.patch(path, {"name": "Last"}, format="json").status_code == 200


def test_the_documented_template_fields_are_exactly_the_ones_sent(api, card):
    documented = set(TemplateSerializer().fields)
    assert documented == set(card) == set(api.get(f"/api/v1/templates/{card['id']}").json())
    assert [set(t) for t in api.get("/api/v1/templates").json()["results"]] == [documented]
