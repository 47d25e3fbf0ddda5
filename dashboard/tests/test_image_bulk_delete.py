"""The images page: bulk delete and filters kept in the URL."""

import re

import pytest

from billing.models import BillingAccount
from templates_app import services
from templates_app.models import Image

CARD = {
    "name": "Card",
    "width": 120,
    "height": 60,
    "background": "#ffffff",
    "elements": [{"name": "title", "type": "text", "x": 5, "y": 5, "width": 110, "height": 50, "text": "Hi"}],
}


@pytest.fixture
def template(alice):
    return services.create_template(owner=alice, data=CARD)


def render(owner, template, sandbox=True):
    image, _ = services.render_image(owner=owner, template_id=template.public_id, sandbox=sandbox)
    return image


def test_the_list_has_a_box_per_image_and_a_select_all(alice_client, alice, template):
    images = [render(alice, template) for _ in range(2)]
    html = alice_client.get("/dashboard/images").content.decode()
    assert "data-select-all" in html and 'action="/dashboard/images/delete"' in html
    for image in images:
        assert f'name="images" value="{image.public_id}"' in html
        assert f"Select {image.public_id}</span>" in html  # a label for screen readers


def test_the_first_post_asks_for_confirmation_with_the_count(alice_client, alice, template):
    images = [render(alice, template) for _ in range(3)]
    response = alice_client.post("/dashboard/images/delete", {"images": [i.public_id for i in images[:2]]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Delete 2 images?" in html and 'name="confirm" value="yes"' in html
    assert Image.objects.filter(owner=alice).count() == 3  # nothing deleted yet


def test_confirming_deletes_each_and_says_how_many(alice_client, alice, template):
    images = [render(alice, template) for _ in range(3)]
    ids = [i.public_id for i in images[:2]]
    response = alice_client.post("/dashboard/images/delete", {"images": ids, "confirm": "yes"}, follow=True)
    assert list(Image.objects.filter(owner=alice)) == [images[2]]
    assert "Deleted 2 images; their URLs no longer work." in response.content.decode()


def test_an_unfinished_render_is_cancelled_and_refunded(alice_client, alice, template):
    live = render(alice, template, sandbox=False)
    done = render(alice, template, sandbox=False)
    assert BillingAccount.objects.get(user=alice).balance == 48
    Image.objects.filter(pk=live.pk).update(status=Image.Status.PENDING)
    response = alice_client.post(
        "/dashboard/images/delete", {"images": [live.public_id, done.public_id], "confirm": "yes"}, follow=True
    )
    assert not Image.objects.filter(owner=alice).exists()
    assert BillingAccount.objects.get(user=alice).balance == 49  # the pending one refunded, the finished one not
    assert "1 unfinished render cancelled and refunded." in response.content.decode()


def test_another_accounts_images_are_left_alone(alice_client, bob, alice, template):
    bobs_template = services.create_template(owner=bob, data=CARD)
    bobs = render(bob, bobs_template)
    mine = render(alice, template)
    alice_client.post("/dashboard/images/delete", {"images": [bobs.public_id, mine.public_id], "confirm": "yes"})
    assert Image.objects.filter(pk=bobs.pk).exists()
    assert not Image.objects.filter(pk=mine.pk).exists()
    only_bobs = alice_client.post("/dashboard/images/delete", {"images": [bobs.public_id]}, follow=True)
    assert "Select one or more images to delete." in only_bobs.content.decode()
    assert Image.objects.filter(pk=bobs.pk).exists()


def test_bulk_delete_needs_a_login_and_a_post(client, alice_client, alice, template):
    image = render(alice, template)
    assert client.post("/dashboard/images/delete", {"images": [image.public_id], "confirm": "yes"}).status_code == 302
    assert alice_client.get("/dashboard/images/delete").status_code == 405
    assert Image.objects.filter(pk=image.pk).exists()


def test_bulk_delete_goes_back_to_the_same_filters(alice_client, alice, template):
    image = render(alice, template)
    query = f"template={template.public_id}&mode=test"
    page = alice_client.get(f"/dashboard/images?{query}").content.decode()
    assert f'name="back" value="{query.replace("&", "&amp;")}"' in page
    response = alice_client.post(
        "/dashboard/images/delete",
        {"images": [image.public_id], "confirm": "yes", "back": query + "&next=https://evil.example"},
    )
    assert response["Location"] == f"/dashboard/images?{query}"  # unknown parameters dropped


def test_filters_are_kept_in_the_url_by_pagination(alice_client, alice, template):
    live = render(alice, template, sandbox=False)
    for _ in range(25):
        render(alice, template)
    html = alice_client.get(f"/dashboard/images?mode=test&template={template.public_id}").content.decode()
    older = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert older == f"mode=test&template={template.public_id}&page=2"
    second = alice_client.get(f"/dashboard/images?{older}").content.decode()
    assert "Page 2 of 2" in second and live.public_id not in second
    # The form shows the filters it applied, so a reload (the same URL) keeps them.
    assert '<option value="test" selected>Test</option>' in second
    assert f'<option value="{template.public_id}" selected>' in second


def test_an_image_opened_from_a_filtered_list_leads_back_to_it(alice_client, alice, template):
    image = render(alice, template)
    html = alice_client.get(f"/dashboard/images?status=completed&template={template.public_id}").content.decode()
    back = f"status%3Dcompleted%26template%3D{template.public_id}"
    assert f'href="/dashboard/images/{image.public_id}?back={back}"' in html
    detail = alice_client.get(f"/dashboard/images/{image.public_id}?back={back}").content.decode()
    filtered = f"/dashboard/images?status=completed&amp;template={template.public_id}"
    assert f'<a href="{filtered}">Images</a>' in detail
    # Deleting it from its page goes back to the same filters too.
    query = f"status=completed&template={template.public_id}"
    response = alice_client.post(f"/dashboard/images/{image.public_id}/delete", {"back": query})
    assert response["Location"] == f"/dashboard/images?{query}"
    assert not Image.objects.filter(pk=image.pk).exists()
    # Without filters, the plain links.
    other = render(alice, template)
    assert f'href="/dashboard/images/{other.public_id}"' in alice_client.get("/dashboard/images").content.decode()
