"""The image page's re-render form, generated from the template's modifications schema."""

import pytest

from billing.models import BillingAccount
from templates_app import services
from templates_app.models import Image

CARD = {
    "name": "Card",
    "width": 200,
    "height": 100,
    "background": "#ffffff",
    "elements": [
        {"name": "title", "type": "text", "x": 10, "y": 10, "width": 180, "height": 40, "text": "Hi", "fit": "none"},
        {"name": "band", "type": "rect", "x": 0, "y": 60, "width": 200, "height": 40, "fill": "#00ff00"},
        {"name": "code", "type": "qr_code", "x": 150, "y": 50, "width": 40, "height": 40, "value": "https://a.example"},
    ],
}


@pytest.fixture
def image(alice):
    template = services.create_template(owner=alice, data=CARD)
    image, _ = services.render_image(
        owner=alice, template_id=template.public_id, sandbox=True, modifications={"title": "Hello"}
    )
    return image


def rerender(client, image, **fields):
    data = {"element_0": "Hello", "element_1": "#00ff00", "element_2": "https://a.example", "format": "png"}
    return client.post(f"/dashboard/images/{image.public_id}/rerender", data | fields)


def test_one_labelled_field_per_element_prefilled_from_the_image(alice_client, image):
    html = alice_client.get(f"/dashboard/images/{image.public_id}").content.decode()
    assert '<label for="id_element_0">title (text)</label>' in html
    assert '<label for="id_element_1">band (rect)</label>' in html
    assert '<label for="id_element_2">code (qr_code)</label>' in html
    # The image's own modification, else the template's value.
    assert ">\nHello</textarea>" in html
    assert 'name="element_1" value="#00ff00"' in html and 'pattern="' in html
    assert 'name="element_2" value="https://a.example"' in html
    assert "Advanced: other fields as JSON" in html


def test_changed_fields_render_a_new_image_merged_over_the_original(alice_client, alice, image):
    response = rerender(alice_client, image, element_1="#ff0000")
    new = Image.objects.exclude(pk=image.pk).get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/images/{new.public_id}"
    by_name = {item["name"]: item for item in new.modifications}
    assert by_name["title"]["text"] == "Hello"  # kept from the original
    assert by_name["band"]["fill"] == "#ff0000"
    assert "code" not in by_name  # unchanged fields are not pinned
    assert new.source_image == image
    assert BillingAccount.objects.get(user=alice).balance == 50  # a test image is free


def test_the_json_box_is_laid_over_the_fields(alice_client, alice, image):
    rerender(alice_client, image, element_0="Changed", modifications='{"title.color": "#123456"}')
    new = Image.objects.exclude(pk=image.pk).get(owner=alice)
    title = next(item for item in new.modifications if item["name"] == "title")
    assert title["text"] == "Changed" and title["color"] == "#123456"


def test_an_emptied_colour_means_none(alice_client, alice, image):
    rerender(alice_client, image, element_1="")
    new = Image.objects.exclude(pk=image.pk).get(owner=alice)
    assert next(item for item in new.modifications if item["name"] == "band")["fill"] is None


def test_errors_are_shown_next_to_their_field(alice_client, alice, image):
    response = rerender(alice_client, image, element_1="red")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_element_1_error"' in html and "fill" in html
    assert 'id="id_element_0_error"' not in html
    # The typed value is kept.
    assert 'name="element_1" value="red"' in html
    bad_json = rerender(alice_client, image, modifications="{")
    assert bad_json.status_code == 400 and b'id="id_modifications_error"' in bad_json.content
    assert Image.objects.filter(owner=alice).count() == 1


def test_a_deleted_templates_image_has_no_form(alice_client, image):
    image.template.delete()
    html = alice_client.get(f"/dashboard/images/{image.public_id}").content.decode()
    assert "cannot be rendered again" in html and "element_0" not in html
