"""Usage alerts at 50/80/100% of the period's credits: e-mail once per threshold per period, and the banner."""

import pytest
from django.core import mail

from billing import ledger, plans
from billing.models import BillingAccount


def usage_mails() -> list[str]:
    return [m.subject for m in mail.outbox if m.subject.startswith("You have used")]


def choose(user, thresholds) -> None:
    BillingAccount.objects.get(user=user).choose_usage_alerts(thresholds)


def render(user, count: int, *, start: int, capture) -> None:
    with capture(execute=True):
        for index in range(start, start + count):
            ledger.charge_credits(user, cost=1, reference=f"img_{index}")


@pytest.mark.django_db
def test_crossing_each_chosen_threshold_mails_the_owner_once(alice, django_capture_on_commit_callbacks):
    choose(alice, [50, 80, 100])
    # Free: 50 credits, so the thresholds are 25, 40 and 50 credits used.
    render(alice, 24, start=0, capture=django_capture_on_commit_callbacks)
    assert usage_mails() == []
    render(alice, 1, start=24, capture=django_capture_on_commit_callbacks)
    assert usage_mails() == ["You have used 50% of this period's Imagior credits"]
    render(alice, 14, start=25, capture=django_capture_on_commit_callbacks)
    assert len(usage_mails()) == 1
    render(alice, 1, start=39, capture=django_capture_on_commit_callbacks)
    render(alice, 10, start=40, capture=django_capture_on_commit_callbacks)
    assert usage_mails() == [
        "You have used 50% of this period's Imagior credits",
        "You have used 80% of this period's Imagior credits",
        "You have used 100% of this period's Imagior credits",
    ]
    last = next(m for m in mail.outbox if "100%" in m.subject)
    assert last.to == ["alice@example.com"] and "used 50 of the 50 monthly credits of the Free plan" in last.body

    # Past 100% (bought credits) and after a refund that goes back under and over again: nothing more.
    ledger.adjust_credits(alice, amount=10, reason="test")
    render(alice, 5, start=50, capture=django_capture_on_commit_callbacks)
    ledger.refund_credits(alice, reference="img_54")
    ledger.refund_credits(alice, reference="img_53")
    render(alice, 2, start=55, capture=django_capture_on_commit_callbacks)
    assert len(usage_mails()) == 3


@pytest.mark.django_db
def test_unchosen_thresholds_send_nothing(alice, bob, django_capture_on_commit_callbacks):
    # alice keeps the defaults (80 and 100): no 50% e-mail; bob chose none.
    choose(bob, [])
    render(alice, 39, start=0, capture=django_capture_on_commit_callbacks)
    assert usage_mails() == []
    render(alice, 1, start=39, capture=django_capture_on_commit_callbacks)
    assert usage_mails() == ["You have used 80% of this period's Imagior credits"]
    render(bob, 50, start=100, capture=django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox if m.subject.startswith("You have used")] == [["alice@example.com"]]
    assert BillingAccount.objects.get(user=bob).usage_alert_sent == 0


@pytest.mark.django_db
def test_a_jump_over_two_thresholds_sends_one_mail_for_the_highest(alice, django_capture_on_commit_callbacks):
    choose(alice, [50, 80, 100])
    with django_capture_on_commit_callbacks(execute=True):
        ledger.charge_credits(alice, cost=45, reference="img_big")
    assert usage_mails() == ["You have used 80% of this period's Imagior credits"]
    render(alice, 5, start=0, capture=django_capture_on_commit_callbacks)
    assert usage_mails()[1:] == ["You have used 100% of this period's Imagior credits"]


@pytest.mark.django_db
def test_a_new_period_re_arms_the_alerts(alice, django_capture_on_commit_callbacks):
    choose(alice, [50, 80, 100])
    render(alice, 50, start=0, capture=django_capture_on_commit_callbacks)
    assert len(usage_mails()) == 3
    account = BillingAccount.objects.get(user=alice)
    plans.renew_due_periods(now=account.period_ends_at)
    account.refresh_from_db()
    assert account.used_this_period == 0 and account.usage_alert_sent_this_period() == 0
    render(alice, 25, start=50, capture=django_capture_on_commit_callbacks)
    assert len(usage_mails()) == 4 and usage_mails()[-1].startswith("You have used 50%")
    render(alice, 25, start=75, capture=django_capture_on_commit_callbacks)
    assert len(usage_mails()) == 6


@pytest.mark.django_db
def test_the_profile_page_chooses_the_alerts(alice_client, alice):
    page = alice_client.get("/dashboard/profile")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="usage-alerts"' in html
    assert html.count('name="thresholds"') == 3 and html.count("checked") == 2  # 80 and 100 by default
    response = alice_client.post("/dashboard/profile", {"thresholds": ["50", "100"]})
    assert response.status_code == 302
    assert BillingAccount.objects.get(user=alice).usage_alerts == [50, 100]
    assert alice_client.post("/dashboard/profile", {}).status_code == 302
    assert BillingAccount.objects.get(user=alice).usage_alerts == []
    bad = alice_client.post("/dashboard/profile", {"thresholds": ["70"]})
    assert bad.status_code == 400 and BillingAccount.objects.get(user=alice).usage_alerts == []


@pytest.mark.django_db
def test_the_banner_shows_past_a_chosen_threshold_until_dismissed(
    alice_client, alice, django_capture_on_commit_callbacks
):
    render(alice, 39, start=0, capture=django_capture_on_commit_callbacks)
    assert 'data-testid="usage-alert"' not in alice_client.get("/dashboard/").content.decode()
    render(alice, 1, start=39, capture=django_capture_on_commit_callbacks)
    for url in ("/dashboard/", "/dashboard/images", "/dashboard/profile"):
        html = alice_client.get(url).content.decode()
        assert 'data-testid="usage-alert"' in html, url
        assert "You have used 80% of this period's credits: 40 of 50." in html

    key = alice_client.get("/dashboard/").context["alert"]["key"]
    response = alice_client.post("/dashboard/usage-alert/dismiss", {"alert": key, "next": "/dashboard/images"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/images"
    assert 'data-testid="usage-alert"' not in alice_client.get("/dashboard/images").content.decode()
    # An off-site "next" goes to the overview instead.
    away = alice_client.post("/dashboard/usage-alert/dismiss", {"alert": key, "next": "https://evil.example/"})
    assert away["Location"] == "/dashboard/"

    # The next threshold shows it again.
    render(alice, 10, start=40, capture=django_capture_on_commit_callbacks)
    assert "You have used 100% of this period" in alice_client.get("/dashboard/").content.decode()


@pytest.mark.django_db
def test_no_banner_for_unchosen_thresholds(alice_client, alice, django_capture_on_commit_callbacks):
    choose(alice, [])
    render(alice, 50, start=0, capture=django_capture_on_commit_callbacks)
    assert 'data-testid="usage-alert"' not in alice_client.get("/dashboard/").content.decode()
