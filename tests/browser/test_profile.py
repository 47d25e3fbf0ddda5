"""The profile page in Chromium: usage alerts chosen, the banner and its "Dismiss", and "Download my data"
(every page fails its test on a console error or a CSP violation: conftest.py)."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from billing import ledger
from billing.models import BillingAccount
from conftest import make_user
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_alerts_are_chosen_shown_and_dismissed(page, site):
    alice = make_user("alice@example.com")
    log_in(page, site, "alice@example.com")
    page.goto(f"{site}/dashboard/profile")
    alerts = page.get_by_role("group", name="E-mail me when this period's usage reaches")
    expect(alerts.get_by_label("80% of the plan's monthly credits")).to_be_checked()
    alerts.get_by_label("50% of the plan's monthly credits").check()
    alerts.get_by_label("100% of the plan's monthly credits").uncheck()
    page.get_by_role("button", name="Save alerts").click()
    expect(page.get_by_text("Usage alerts saved.")).to_be_visible()
    assert BillingAccount.objects.get(user=alice).usage_alerts == [50, 80]

    for index in range(25):  # Free: 50 credits, so 25 is 50 %
        ledger.charge_credits(alice, cost=1, reference=f"img_{index}")
    page.goto(f"{site}/dashboard/images")
    banner = page.get_by_test_id("usage-alert")
    expect(banner).to_contain_text("You have used 50% of this period's credits: 25 of 50.")
    banner.get_by_role("button", name="Dismiss").click()
    page.wait_for_url(f"{site}/dashboard/images")
    expect(page.get_by_test_id("usage-alert")).to_have_count(0)
    page.goto(f"{site}/dashboard/")
    expect(page.get_by_test_id("usage-alert")).to_have_count(0)


def test_download_my_data_from_the_delete_page(page, site, tmp_path):
    alice = make_user("alice@example.com")
    log_in(page, site, "alice@example.com")
    page.goto(f"{site}/dashboard/profile/delete")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("imagior-export-")
    with zipfile.ZipFile(saved) as archive:
        assert archive.namelist() == ["templates.json"]
        assert json.loads(archive.read("templates.json")) == {"templates": []}
    assert BillingAccount.objects.filter(user=alice).exists()  # nothing deleted
