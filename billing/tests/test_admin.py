import pytest
from django.urls import reverse

from billing.models import BillingAccount, LedgerEntry


@pytest.mark.django_db
def test_every_model_has_an_admin_page_with_search(staff_client, alice, alice_key):
    for name in [
        "accounts_user",
        "accounts_apikey",
        "billing_plan",
        "billing_billingaccount",
        "billing_ledgerentry",
        "templates_app_designtemplate",
        "templates_app_image",
    ]:
        response = staff_client.get(reverse(f"admin:{name}_changelist"), {"q": "alice"})
        assert response.status_code == 200, name


@pytest.mark.django_db
def test_the_grant_credits_action_writes_the_ledger(staff_client, alice):
    account = BillingAccount.objects.get(user=alice)
    response = staff_client.post(
        reverse("admin:billing_billingaccount_changelist"),
        {"action": "grant_credits", "_selected_action": [account.pk], "credits": "10", "reason": "support"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == 60
    entry = LedgerEntry.objects.filter(account=account).order_by("-id").first()
    assert (entry.amount, entry.balance_after, entry.reason) == (10, 60, "support")
    assert entry.created_by == "admin:staff@example.com"


@pytest.mark.django_db
def test_ledger_rows_and_key_hashes_are_read_only(staff_client, alice, alice_key):
    entry = LedgerEntry.objects.filter(account__user=alice).first()
    response = staff_client.post(reverse("admin:billing_ledgerentry_change", args=[entry.pk]), {"amount": 1000})
    assert response.status_code == 403
    response = staff_client.post(reverse("admin:billing_ledgerentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    key = alice_key[0]
    page = staff_client.get(reverse("admin:accounts_apikey_change", args=[key.pk])).content.decode()
    assert 'name="key_hash"' not in page and key.key_hash in page
