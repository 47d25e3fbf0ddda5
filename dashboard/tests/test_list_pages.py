"""The dashboard's lists count up to a bound and page on past it (docs/dashboard.md, "Choices worth knowing").
The bound is lowered to 30 here, so a few pages of rows cross it."""

import re
from datetime import UTC, datetime

import pytest

from billing import ledger
from billing.models import LedgerEntry
from templates_app.models import DesignTemplate, Image

BOUND = 30
IMAGES_PER_PAGE = 24
LEDGER_PER_PAGE = 25


@pytest.fixture(autouse=True)
def _small_bound(monkeypatch):
    monkeypatch.setattr("dashboard.pagination.COUNT_BOUND", BOUND)


def make_images(owner, n: int, *, status=Image.Status.COMPLETED) -> None:
    Image.objects.bulk_create(
        Image(owner=owner, template_public_id="tpl_x", template_version=1, width=10, height=10, status=status)
        for _ in range(n)
    )


def pager(html: str) -> str | None:
    """The "Page 2 of 3" text, or None when the list fits one page."""
    found = re.search(r"Page \d+ of [^<]+", html)
    return found.group(0).strip() if found else None


def links(html: str) -> dict:
    """The previous and next page links: {"prev": "page=1", "next": "page=3"}."""
    return {rel: href for href, rel in re.findall(r'href="\?([^"]*page=\d+)" rel="(prev|next)"', html)}


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_below_the_bound_the_image_count_is_exact(alice_client, alice):
    make_images(alice, BOUND - 1)
    html = get(alice_client, "/dashboard/images")
    assert f"{BOUND - 1} images" in html and pager(html) == "Page 1 of 2"
    assert links(html) == {"next": "page=2"}
    last = get(alice_client, "/dashboard/images?page=2")
    assert pager(last) == "Page 2 of 2" and links(last) == {"prev": "page=1"}


def test_at_the_bound_the_image_count_is_still_exact(alice_client, alice):
    make_images(alice, BOUND)
    html = get(alice_client, "/dashboard/images?page=2")
    assert f"{BOUND} images" in html and "+ images" not in html
    assert pager(html) == "Page 2 of 2" and links(html) == {"prev": "page=1"}


def test_above_the_bound_the_count_is_capped_and_pages_go_past_it(alice_client, alice):
    make_images(alice, 3 * IMAGES_PER_PAGE - 2)
    first = get(alice_client, "/dashboard/images")
    assert f"{BOUND}+ images" in first and pager(first) == "Page 1 of 2+"
    second = get(alice_client, "/dashboard/images?page=2")
    # Past the capped count the next page is still offered, and it is there.
    assert pager(second) == "Page 2 of 3+" and links(second) == {"prev": "page=1", "next": "page=3"}
    third = get(alice_client, "/dashboard/images?page=3")
    assert pager(third) == "Page 3 of 3" and links(third) == {"prev": "page=2"}
    assert third.count('class="thumb"') == IMAGES_PER_PAGE - 2
    # A page past the end shows the last page the count knows of, as Django's get_page does.
    assert pager(get(alice_client, "/dashboard/images?page=99")) == "Page 2 of 3+"


def test_the_filters_count_and_their_links_keep_them(alice_client, alice, bob):
    make_images(alice, IMAGES_PER_PAGE + 1, status=Image.Status.FAILED)
    make_images(alice, BOUND + 1)
    make_images(bob, BOUND + 1, status=Image.Status.FAILED)
    failed = get(alice_client, "/dashboard/images?status=failed")
    assert f"{IMAGES_PER_PAGE + 1} images" in failed and pager(failed) == "Page 1 of 2"
    assert links(failed) == {"next": "status=failed&amp;page=2"}
    assert get(alice_client, "/dashboard/images?status=failed&page=2").count('class="thumb"') == 1
    assert f"{BOUND}+ images" in get(alice_client, "/dashboard/images?status=completed")


def test_the_template_gallery_pages_past_the_bound(alice_client, alice):
    DesignTemplate.objects.bulk_create(
        DesignTemplate(owner=alice, name=f"card {i}", width=10, height=10) for i in range(BOUND + 20)
    )
    assert pager(get(alice_client, "/dashboard/templates")) == "Page 1 of 2+"
    last = get(alice_client, "/dashboard/templates?page=3")
    assert pager(last) == "Page 3 of 3" and "card 0<" in last
    # A search counts what it finds: card 1 and card 10 to card 19.
    found = get(alice_client, "/dashboard/templates?q=card+1")
    assert pager(found) is None and len(re.findall(r">card 1\d?<", found)) == 11


def test_the_ledger_on_the_billing_page_pages_past_the_bound(alice_client, alice):
    account = ledger.open_account(alice)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(account=account, kind=LedgerEntry.Kind.ADJUSTMENT, amount=0, balance_after=0, reason=f"entry {i}")
        for i in range(2 * LEDGER_PER_PAGE + 5)
    )
    first = get(alice_client, "/dashboard/billing")
    assert pager(first) == "Page 1 of 2+"
    last = get(alice_client, "/dashboard/billing?page=3")
    assert pager(last) == "Page 3 of 3" and links(last) == {"prev": "page=2"}


def test_the_date_filters_take_whole_days(alice_client, alice):
    """From/to are days in the site's time zone: an image at 23:59:59 is on its day, one at midnight on the next."""
    make_images(alice, 2)
    late, midnight = Image.objects.order_by("id")
    Image.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC))
    Image.objects.filter(pk=midnight.pk).update(created_at=datetime(2026, 3, 2, tzinfo=UTC))

    def shown(query: str) -> set[str]:
        html = get(alice_client, f"/dashboard/images?{query}")
        return {image.public_id for image in (late, midnight) if image.public_id in html}

    assert shown("until=2026-03-01") == {late.public_id}
    assert shown("since=2026-03-02") == {midnight.public_id}
    assert shown("since=2026-03-01&until=2026-03-01") == {late.public_id}
    assert shown("since=2026-03-01&until=2026-03-02") == {late.public_id, midnight.public_id}
