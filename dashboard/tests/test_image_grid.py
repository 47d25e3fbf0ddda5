"""The thumbnail grids (images page, overview) read what they show: a template's name, not
the JSON documents of every image and its template, and a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from templates_app.models import DesignTemplate, Image

# An embedded picture makes a template's elements weigh hundreds of kilobytes.
HEAVY = "data:image/png;base64," + "A" * 200_000


def add_images(owner, template, n: int) -> None:
    Image.objects.bulk_create(
        Image(
            owner=owner,
            template=template,
            template_public_id=template.public_id,
            template_version=1,
            width=10,
            height=10,
            status=Image.Status.FAILED,
            modifications={"photo": HEAVY},
            render_document={"elements": [{"src": HEAVY}]},
        )
        for _ in range(n)
    )


def selects(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries if query["sql"].lstrip().startswith("SELECT")]


@pytest.mark.parametrize("url", ["/dashboard/images", "/dashboard/"])
def test_the_grid_reads_names_not_documents_in_a_fixed_number_of_queries(alice, alice_client, url):
    template = DesignTemplate.objects.create(
        owner=alice, name="Heavy card", width=10, height=10, elements=[{"type": "image", "src": HEAVY}]
    )
    add_images(alice, template, 2)
    few = selects(alice_client, url)
    add_images(alice, template, 30)
    many = selects(alice_client, url)

    assert len(many) == len(few)
    assert "Heavy card" in alice_client.get(url).content.decode()
    image_reads = [sql for sql in many if '"templates_app_image"' in sql]
    assert image_reads
    for sql in image_reads:
        assert '"render_document"' not in sql and '"modifications"' not in sql
        assert '"templates_app_designtemplate"."elements"' not in sql
