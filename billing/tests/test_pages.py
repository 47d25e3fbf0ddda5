"""The billing page: plans, credit packs, the ledger."""

from billing import plans
from billing.models import BillingAccount, Payment, Plan
from conftest import balance


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


def test_buying_a_pack_goes_through_a_confirmation_page(manual, alice_client, alice):
    page = alice_client.get("/dashboard/billing").content.decode()
    assert 'href="/dashboard/billing/credits?pack=pack-500"' in page
    confirm = alice_client.get("/dashboard/billing/credits", {"pack": "pack-500"})
    content = confirm.content.decode()
    assert confirm.status_code == 200 and "Buy 500 credits" in content
    assert '<dd data-testid="charge">$9' in content and "500 bought credits are added" in content
    assert 'name="charge" value="900"' in content and 'type="submit"' in content
    response = alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    assert response.status_code == 302
    assert Payment.objects.get(account__user=alice).status == "pending" and balance(alice) == 50


def test_the_page_labels_plan_credits_and_bought_credits(alice_client, alice):
    from billing import ledger

    ledger.adjust_credits(alice, amount=7, reason="support")
    content = alice_client.get("/dashboard/billing").content.decode()
    assert "Plan credits" in content and "Bought credits" in content
    assert '<span class="stat-value" data-testid="plan-credits">50</span>' in content
    assert '<span class="stat-value" data-testid="bought-credits">7</span>' in content


def test_upgrading_asks_for_confirmation_and_downgrading_waits(manual, alice_client, alice):
    confirm = alice_client.get("/dashboard/billing/plan", {"plan": "starter"}).content.decode()
    assert "Move to Starter" in confirm and "$19" in confirm and "1,000 plan" in confirm
    plans.set_plan(alice, plan=Plan.objects.get(slug="starter"))
    response = alice_client.post("/dashboard/billing/plan", {"plan": "free", "action": "to_free", "charge": "0"})
    assert response.status_code == 302
    account = BillingAccount.objects.get(user=alice)
    assert account.plan.slug == "starter" and account.pending_plan.slug == "free"
    assert b"You move to Free" in alice_client.get("/dashboard/billing").content


def test_the_payments_list_links_each_receipt(manual, alice_client, alice):
    alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    payment = Payment.objects.get(account__user=alice)
    content = alice_client.get("/dashboard/billing").content.decode()
    assert f'href="/dashboard/billing/payments/{payment.public_id}"' in content
    assert "Pending" in content and "$9" in content


def test_unknown_plans_and_packs_are_404(alice_client):
    assert alice_client.post("/dashboard/billing/plan", {"plan": "platinum"}).status_code == 404
    assert alice_client.post("/dashboard/billing/credits", {"pack": "pack-1"}).status_code == 404
    assert alice_client.get("/dashboard/billing/credits").status_code == 404
    assert alice_client.put("/dashboard/billing/credits").status_code == 405


def test_with_stripe_the_buyer_goes_to_checkout(alice_client, alice, fake_stripe):
    page = alice_client.get("/dashboard/billing")
    assert "https://checkout.stripe.com" in page["Content-Security-Policy"]
    confirm = alice_client.get("/dashboard/billing/credits", {"pack": "pack-500"})
    assert "https://checkout.stripe.com" in confirm["Content-Security-Policy"]
    response = alice_client.post("/dashboard/billing/credits", {"pack": "pack-500", "action": "pack", "charge": "900"})
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_")
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
