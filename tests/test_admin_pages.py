"""Every model of ours has an admin page: its list, its search and one object's page answer 200."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from conftest import BOX_AND_TITLE

ROOT = Path(settings.BASE_DIR).resolve()


def is_ours(config) -> bool:
    """An app of this repository, not a library (the virtualenv may live inside the checkout)."""
    path = Path(config.path).resolve()
    return path.is_relative_to(ROOT) and "site-packages" not in path.parts


def our_models():
    """Every installed model of this repository's apps."""
    ours = [config for config in apps.get_app_configs() if is_ours(config)]
    assert {config.label for config in ours} >= {"accounts", "billing", "webhooks", "templates_app"}
    return [model for config in ours for model in config.get_models()]


def test_every_model_of_ours_is_registered():
    missing = [model._meta.label for model in our_models() if model not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
def test_each_admin_list_search_and_object_page_answers(staff_client, api, alice, settings):
    # One of most things, made the way users make them.
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    api.post("/api/v1/images", {"template": template}, format="json", HTTP_IDEMPOTENCY_KEY="admin-walk")
    secret = api.post(
        "/api/v1/webhooks", {"url": "https://93.184.216.34/hook", "events": ["image.completed"]}, format="json"
    ).json()["secret"]
    for model in our_models():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        assert staff_client.get(changelist).status_code == 200, changelist
        assert staff_client.get(changelist, {"q": "alice"}).status_code == 200, changelist
        first = model.objects.first()
        if first is not None:
            page = reverse("admin:{}_{}_change".format(*info), args=[first.pk])
            response = staff_client.get(page)
            assert response.status_code == 200, page
            assert secret.encode() not in response.content, page  # shown once to its owner, never here
