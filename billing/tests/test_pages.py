"""The billing page: plans, credit packs, the ledger."""

import pytest

from billing import payments
from billing.models import BillingAccount, LedgerEntry, Payment


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def balance(user) -> int:
    return BillingAccount.objects.get(user=user).balance


def test_the_billing_page_needs_a_login(client, db):
    response = client.get("/dashboard/billing")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_it_shows_the_plans_with_the_current_one_marked(alice_client):
    response = alice_client.get("/dashboard/billing")
    assert response.status_code == 200
    content = response.content.decode()
    for name in ["Free", "Starter", "Pro", "Business"]:
        assert f"<h3>{name}</h3>" in content
    assert content.count("plan-current") == 1
    assert "Current plan" in content
    assert "Welcome: Free plan" in content  # the ledger


def test_buying_a_pack_adds_its_credits(alice_client, alice):
    response = alice_client.post("/dashboard/billing/credits", {"pack": "pack-500"})
    assert response.status_code == 302
    assert balance(alice) == 550
    assert LedgerEntry.objects.filter(account__user=alice, kind="purchase", amount=500).count() == 1
    page = alice_client.get("/dashboard/billing")
    assert b"500 credits added" in page.content


def test_upgrading_and_downgrading(alice_client, alice):
    assert alice_client.post("/dashboard/billing/plan", {"plan": "starter"}).status_code == 302
    account = BillingAccount.objects.get(user=alice)
    assert account.plan.slug == "starter" and account.balance == 1000
    assert alice_client.post("/dashboard/billing/plan", {"plan": "free"}).status_code == 302
    account.refresh_from_db()
    assert account.plan.slug == "starter" and account.pending_plan.slug == "free"
    assert b"You move to Free" in alice_client.get("/dashboard/billing").content


def test_unknown_plans_and_packs_are_404(alice_client):
    assert alice_client.post("/dashboard/billing/plan", {"plan": "platinum"}).status_code == 404
    assert alice_client.post("/dashboard/billing/credits", {"pack": "pack-1"}).status_code == 404
    assert alice_client.get("/dashboard/billing/credits").status_code == 405


def test_with_stripe_the_buyer_goes_to_checkout(alice_client, alice, settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    monkeypatch.setattr(
        payments,
        "stripe_request",
        lambda path, form, idempotency_key: {"id": "cs_1", "url": "https://checkout.stripe.com/c/pay/cs_1"},
    )
    page = alice_client.get("/dashboard/billing")
    assert "https://checkout.stripe.com" in page["Content-Security-Policy"]
    response = alice_client.post("/dashboard/billing/credits", {"pack": "pack-500"})
    assert response.status_code == 302 and response["Location"] == "https://checkout.stripe.com/c/pay/cs_1"
    assert balance(alice) == 50  # credited when Stripe's webhook says it is paid
    assert Payment.objects.get(account__user=alice).status == "pending"


def test_without_stripe_the_page_keeps_the_strict_policy(alice_client):
    policy = alice_client.get("/dashboard/billing")["Content-Security-Policy"]
    assert "form-action 'self';" in policy or policy.endswith("form-action 'self'")


def test_the_ledger_is_paginated(alice_client, alice):
    from billing import ledger

    for _ in range(30):
        ledger.adjust_credits(alice, amount=1, reason="test top-up")
    first = alice_client.get("/dashboard/billing")
    assert b"Page 1 of 2" in first.content
    second = alice_client.get("/dashboard/billing?page=2")
    assert b"Welcome: Free plan" in second.content
