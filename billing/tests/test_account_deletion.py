"""Issue 9, point 11: deleting an account removes its files through the storage API and keeps
its payment records, anonymised."""

from pathlib import Path

from django.conf import settings

from accounts.models import User
from billing.models import Payment
from conftest import BOX_AND_TITLE
from templates_app.models import DesignTemplate, Image


def test_deleting_an_account_removes_its_files_and_anonymises_its_payments(
    alice, api, alice_client, manual, django_capture_on_commit_callbacks
):
    template = api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()["id"]
    image = api.post("/api/v1/images", {"template": template}, format="json").json()["id"]
    DesignTemplate.objects.get(public_id=template).refresh_from_db()
    files = [Path(settings.MEDIA_ROOT) / Image.objects.get(public_id=image).file.name]
    thumbnail = DesignTemplate.objects.get(public_id=template).thumbnail
    if thumbnail:
        files.append(Path(settings.MEDIA_ROOT) / thumbnail.name)
    assert all(path.exists() for path in files)
    # A pending manual payment (an invoice): a payment record.
    alice_client.post("/dashboard/billing/plan", {"plan": "business", "action": "start", "charge": "49900"})
    payment = Payment.objects.get(account__user=alice)
    bob_file = Path(settings.MEDIA_ROOT) / "images" / "keep" / "bob.png"
    bob_file.parent.mkdir(parents=True, exist_ok=True)
    bob_file.write_bytes(b"not alice's")

    refused = alice_client.post("/dashboard/profile/delete", {"email": "alice@example.com", "password": "wrong"})
    assert refused.status_code == 400 and User.objects.filter(pk=alice.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            "/dashboard/profile/delete", {"email": "alice@example.com", "password": "correct horse battery staple"}
        )
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not any(path.exists() for path in files)
    assert bob_file.exists()
    payment.refresh_from_db()
    assert payment.account is None and payment.former_account.startswith("deleted-account-")
    assert "alice" not in str(vars(payment)).lower()
    assert Payment.objects.count() == 1


def test_the_command_needs_yes(alice):
    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--yes"):
        call_command("delete_account", "alice@example.com")
    assert User.objects.filter(pk=alice.pk).exists()
    call_command("delete_account", "alice@example.com", "--yes")
    assert not User.objects.filter(pk=alice.pk).exists()
