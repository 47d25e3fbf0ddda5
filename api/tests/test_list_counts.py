"""Lists count exactly up to a bound and cap the count above it; `next` keeps working past it
(docs/api.md, "Lists"). The bound is lowered to 5 here so a handful of rows crosses it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from templates_app.models import DesignTemplate, Image

BOUND = 5


@pytest.fixture(autouse=True)
def _small_bound(monkeypatch):
    monkeypatch.setattr("api.pagination.COUNT_BOUND", BOUND)


def make_templates(owner, n: int) -> None:
    DesignTemplate.objects.bulk_create(DesignTemplate(owner=owner, name=f"t{i}", width=10, height=10) for i in range(n))


def make_images(owner, n: int, *, status=Image.Status.COMPLETED, template="tpl_a") -> None:
    Image.objects.bulk_create(
        Image(owner=owner, template_public_id=template, template_version=1, width=10, height=10, status=status)
        for _ in range(n)
    )


def page(api, query: str) -> dict:
    response = api.get(f"/api/v1/templates?{query}")
    assert response.status_code == 200
    return response.json()


def test_below_the_bound_the_count_is_exact(api, alice):
    make_templates(alice, BOUND - 1)
    first = page(api, "limit=2")
    assert (first["count"], first["count_exact"], len(first["results"])) == (4, True, 2)
    assert "offset=2" in first["next"] and first["previous"] is None
    last = page(api, "limit=2&offset=2")
    assert len(last["results"]) == 2 and last["next"] is None
    assert last["previous"].endswith("?limit=2")


def test_at_the_bound_the_count_is_still_exact(api, alice):
    make_templates(alice, BOUND)
    first = page(api, "limit=2")
    assert (first["count"], first["count_exact"]) == (BOUND, True)
    last = page(api, "limit=2&offset=4")
    assert len(last["results"]) == 1 and last["next"] is None
    assert "offset=2" in last["previous"]
    assert page(api, "limit=2&offset=9")["results"] == []


def test_above_the_bound_the_count_is_capped_and_next_goes_past_it(api, alice):
    make_templates(alice, BOUND + 3)
    first = page(api, "limit=2")
    assert (first["count"], first["count_exact"]) == (BOUND, False)
    # Past the bound, pages still come and `next` still says whether there is more.
    beyond = page(api, "limit=2&offset=4")
    assert (beyond["count"], beyond["count_exact"]) == (BOUND, False)
    assert [t["name"] for t in beyond["results"]] == ["t3", "t2"] and "offset=6" in beyond["next"]
    last = page(api, "limit=2&offset=6")
    assert [t["name"] for t in last["results"]] == ["t1", "t0"]
    assert last["next"] is None and "offset=4" in last["previous"]
    assert page(api, "limit=2&offset=8") | {"previous": None} == {
        "count": BOUND,
        "count_exact": False,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert len(page(api, "limit=100")["results"]) == BOUND + 3


def test_the_count_never_reads_more_than_the_bound(api, alice):
    make_templates(alice, BOUND + 3)
    with CaptureQueriesContext(connection) as queries:
        page(api, "limit=2")
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and f"LIMIT {BOUND + 1}" in counts[0]


def test_a_filter_counts_only_what_it_keeps(api, alice, bob):
    make_images(alice, 3, status=Image.Status.FAILED)
    make_images(alice, BOUND + 2, template="tpl_b")
    make_images(bob, BOUND + 2, status=Image.Status.FAILED)
    failed = api.get("/api/v1/images?status=failed").json()
    assert (failed["count"], failed["count_exact"], len(failed["results"])) == (3, True, 3)
    of_a = api.get("/api/v1/images?template=tpl_a&limit=2").json()
    assert (of_a["count"], of_a["count_exact"]) == (3, True) and "offset=2" in of_a["next"]
    of_b = api.get("/api/v1/images?template=tpl_b&limit=100").json()
    assert (of_b["count"], of_b["count_exact"], len(of_b["results"])) == (BOUND, False, BOUND + 2)
    assert api.get("/api/v1/images?status=pending").json()["count"] == 0


def test_fonts_and_webhooks_say_their_count_is_exact(api):
    fonts = api.get("/api/v1/fonts").json()
    assert fonts["count_exact"] is True and fonts["count"] == len(fonts["results"])
    webhooks = api.get("/api/v1/webhooks").json()
    assert (webhooks["count"], webhooks["count_exact"]) == (0, True)


def test_the_openapi_document_shows_the_bound(client, monkeypatch):
    monkeypatch.setattr("api.pagination.COUNT_BOUND", 10_000)
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("PaginatedTemplateList", "PaginatedImageList", "PaginatedWebhookList", "FontList"):
        assert "count_exact" in schemas[name]["required"], name
        assert schemas[name]["properties"]["count_exact"]["type"] == "boolean", name
    count = schemas["PaginatedImageList"]["properties"]["count"]
    assert count["maximum"] == 10_000 and "10,000" in count["description"]
