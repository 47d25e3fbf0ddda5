"""The template gallery's thumbnails: a copy's placeholder asks for its thumbnail until it is there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from templates_app import previews, services
from templates_app.models import DesignTemplate

CARD = {"name": "Card", "width": 200, "height": 100, "background": "#336699", "elements": []}


@pytest.fixture
def card(alice):
    template = services.create_template(owner=alice, data=CARD)
    previews.render_thumbnail(template_id=template.pk)
    return template


def _state_url(template) -> str:
    return f"/dashboard/templates/{template.public_id}/thumbnail-state"


def test_a_duplicates_placeholder_polls_for_its_thumbnail(alice_client, card):
    # The copy's thumbnail renders after the answer (a task queued on commit), so the gallery
    # shows its placeholder first: one that asks again until the thumbnail is stored.
    response = alice_client.post(f"/dashboard/templates/{card.public_id}/duplicate")
    assert response.status_code == 302
    copy = DesignTemplate.objects.exclude(pk=card.pk).get()
    html = alice_client.get("/dashboard/templates").content.decode()
    assert f'hx-get="{_state_url(copy)}" hx-trigger="every 2s" hx-swap="outerHTML"' in html
    assert f'hx-get="{_state_url(card)}"' not in html  # the original has its thumbnail


def test_the_state_answers_204_while_rendering_then_the_thumbnail(alice_client, card):
    copy = services.create_template(owner=card.owner, data={**CARD, "name": "Copy"})
    assert alice_client.get(_state_url(copy)).status_code == 204
    previews.render_thumbnail(template_id=copy.pk)
    response = alice_client.get(_state_url(copy))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'src="/dashboard/templates/{copy.public_id}/thumbnail.png?v=1"' in html and "tpl-thumb-image" in html
    assert "hx-get" not in html


def test_the_gallery_stops_asking_when_no_thumbnail_comes(alice_client, alice):
    stale = services.create_template(owner=alice, data=CARD)
    DesignTemplate.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    response = alice_client.get(_state_url(stale))
    assert response.status_code == 286  # htmx's "stop polling"
    assert "<svg" in response.content.decode() and "hx-get" not in response.content.decode()
    assert "hx-get" not in alice_client.get("/dashboard/templates").content.decode()


def test_another_accounts_thumbnail_state_is_404(bob_client, card):
    assert bob_client.get(_state_url(card)).status_code == 404


def test_the_thumbnail_state_needs_a_login(client, card):
    assert client.get(_state_url(card)).status_code == 302
