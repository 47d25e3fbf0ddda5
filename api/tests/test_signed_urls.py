import hashlib
import hmac
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from api.tests.pixels import close_to, open_image
from billing.models import LedgerEntry
from conftest import balance
from templates_app import signed
from templates_app.models import Image


@pytest.fixture
def template(small_card):
    return small_card


def signed_path(alice, template, ext="png", params=(("box.fill", "#00ff00"), ("title", "Hello world"))):
    """Signed the way a client would: sorted, URL-encoded, HMAC-SHA256 with the URL-signing secret."""
    query = urlencode(sorted(params), quote_via=quote)
    path = f"/i/{template['id']}.{ext}?{query}"
    sig = hmac.new(alice.url_signing_secret.encode(), path.encode(), hashlib.sha256).hexdigest()
    return f"{path}&sig={sig}"


def test_the_first_hit_renders_and_charges_the_owner_repeats_are_free_and_cached(alice, template):
    url = signed_path(alice, template)
    first = Client().get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    image = open_image(b"".join(first.streaming_content))
    assert close_to(image.getpixel((30, 30)), (0, 255, 0, 255))
    assert "max-age=86400" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert balance(alice) == 49

    again = Client().get(url)
    assert again.status_code == 200 and again["ETag"] == first["ETag"]
    assert Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert balance(alice) == 49 and Image.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="render").count() == 1


def test_parameter_order_does_not_matter_and_plus_for_space_is_accepted(alice, template):
    url = signed_path(alice, template)
    sig = url.split("&sig=")[1]
    reordered = f"/i/{template['id']}.png?title=Hello%20world&box.fill=%2300ff00&sig={sig}"
    assert Client().get(reordered).status_code == 200
    plus_form = f"/i/{template['id']}.png?box.fill=%2300ff00&title=Hello+world"
    plus_sig = hmac.new(alice.url_signing_secret.encode(), plus_form.encode(), hashlib.sha256).hexdigest()
    assert Client().get(f"{plus_form}&sig={plus_sig}").status_code == 200
    assert Image.objects.count() == 1, "the same parameters are the same image"


@pytest.mark.parametrize(
    "forge",
    [
        lambda url: url.replace("Hello", "Hellp"),
        lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"),
        lambda url: url.split("&sig=")[0],
        lambda url: url.replace(".png?", ".webp?"),
        lambda url: url.replace("tpl_", "tpl_x"),
    ],
)
def test_forgeries_are_403_invalid_signature_and_free(alice, template, forge):
    response = Client().get(forge(signed_path(alice, template)))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_signature"
    assert balance(alice) == 50 and not Image.objects.exists()


def test_another_accounts_secret_does_not_sign_it(alice, bob, template):
    assert Client().get(signed_path(bob, template)).status_code == 403


def test_bad_modifications_and_empty_balances_are_problems(alice, template):
    unknown = Client().get(signed_path(alice, template, params=(("nope", "x"),)))
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_element"
    from billing import ledger

    ledger.set_balance(alice, balance=0)
    broke = Client().get(signed_path(alice, template))
    assert broke.status_code == 403 and broke.json()["code"] == "insufficient_credits"
    assert not Image.objects.exists()


def test_a_template_edit_renders_a_new_image(api, alice, template):
    url = signed_path(alice, template)
    Client().get(url)
    api.patch(f"/api/v1/templates/{template['id']}", {"background": "#000000"}, format="json")
    Client().get(url)
    assert Image.objects.count() == 2 and balance(alice) == 48


def test_the_helper_builds_what_the_server_accepts(alice, template):
    url = signed.signed_url(alice.url_signing_secret, template["id"], "jpeg", [("title", "Hi there")])
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
