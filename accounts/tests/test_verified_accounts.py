"""Accounts an operator makes count as verified (docs/accounts.md): create_account and the demo."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from templates_app import services
from templates_app.models import DesignTemplate


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_account_makes_a_verified_account_that_renders_live():
    run("create_account", "carol@example.com", "--password", "s3cret-pass", "--credits", "3")
    carol = User.objects.get(email="carol@example.com")
    assert carol.has_verified_email()
    template = services.create_template(
        owner=carol, data={"name": "t", "width": 10, "height": 10, "background": "#ffffff", "elements": []}
    )
    image, balance = services.render_image(owner=carol, template_id=template.public_id)
    assert image.status == "completed" and balance == 2
    run("create_account", "carol@example.com", "--credits", "3")  # idempotent: one address, still verified
    assert carol.emailaddress_set.count() == 1 and carol.has_verified_email()


@pytest.mark.django_db
def test_the_demo_account_is_verified_and_renders_live():
    run("seed_demo")
    demo = User.objects.get(email="demo@imagior.dev")
    assert demo.has_verified_email()
    template = DesignTemplate.objects.filter(owner=demo).first()
    image, _ = services.render_image(owner=demo, template_id=template.public_id)
    assert image.status == "completed" and not image.sandbox


@pytest.mark.django_db
def test_a_user_made_in_code_is_not_verified_until_marked():
    user = User.objects.create_user("plain@example.com", "x")
    assert not user.has_verified_email()
    user.mark_email_verified()
    user.mark_email_verified()
    assert user.emailaddress_set.get().verified
