"""What the dashboard's pages say: credit labels, number formatting, plurals, form defaults."""

import re

import pytest

from billing import ledger
from billing.models import CreditPack

BILLING_PAGES = ["/dashboard/", "/dashboard/billing", "/dashboard/billing/credits?pack=pack-500"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def manual(settings):
    settings.PAYMENT_PROVIDER = "manual"


@pytest.mark.parametrize("path", BILLING_PAGES)
def test_bought_credits_are_called_bought_credits_not_carry_over(manual, alice, alice_client, path):
    assert CreditPack.objects.filter(slug="pack-500").exists()
    ledger.adjust_credits(alice, amount=7, reason="support")
    response = alice_client.get(path)
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "carry over" not in text.lower() and "carry-over" not in text.lower()
    assert "bought credits" in text.lower()


def test_the_overview_splits_the_balance_into_plan_and_bought_credits(alice, alice_client):
    ledger.adjust_credits(alice, amount=7, reason="support")
    html = alice_client.get("/dashboard/").content.decode()
    assert '<span class="stat-note" data-testid="balance-parts">50 plan credits · 7 bought credits</span>' in html
