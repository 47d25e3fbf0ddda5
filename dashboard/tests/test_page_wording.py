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


def test_figures_have_one_format_with_thousands_separators(manual, alice, alice_client):
    ledger.set_balance(alice, balance=2500, reason="test setup")  # 2,500 bought credits over the plan's 50
    for path in ("/dashboard/", "/dashboard/billing"):
        text = _text(alice_client.get(path).content.decode())
        assert "2,500" in text, path
        assert not re.search(r"(?<![\d,.$])\d{4,}(?![\d,])", text.replace("2026", "").replace("2027", "")), path
    billing = alice_client.get("/dashboard/billing").content.decode()
    assert '<span class="stat-value" data-testid="balance">2,500</span>' in billing
    assert "<strong>1,000</strong> plan credits a month" in billing  # the Starter plan


def test_counts_take_the_right_plural(alice, alice_client, alice_key):
    from billing import usage

    usage.add_usage(alice, key=alice_key[0].public_id, requests=1, errors=1)
    text = _text(alice_client.get("/dashboard/").content.decode())
    assert "1 API request, 1 error" in text and "API requests" not in text
    usage.add_usage(alice, key=alice_key[0].public_id, requests=1)
    assert "2 API requests, 1 error" in _text(alice_client.get("/dashboard/").content.decode())
