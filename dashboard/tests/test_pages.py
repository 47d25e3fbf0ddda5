"""Dashboard pages owned by templates_app: overview, templates, images, usage, webhooks."""

import csv
import io
import json
import re

import pytest
from django.utils import timezone

from billing import usage
from billing.models import BillingAccount
from templates_app import services
from templates_app.models import Image
from webhooks.models import WebhookDelivery, WebhookSubscription

CARD = {
    "name": "Card",
    "width": 200,
    "height": 100,
    "background": "#ffffff",
    "elements": [
        {"name": "title", "type": "text", "x": 10, "y": 10, "width": 180, "height": 80, "text": "Hi", "fit": "none"}
    ],
}
DASHBOARD_PAGES = [
    "/dashboard/",
    "/dashboard/templates",
    "/dashboard/images",
    "/dashboard/usage",
    "/dashboard/usage.csv",
    "/dashboard/webhooks",
    "/dashboard/docs",
]


@pytest.fixture
def template(alice):
    return services.create_template(owner=alice, data=CARD)


@pytest.fixture
def image(alice, template):
    image, _ = services.render_image(owner=alice, template_id=template.public_id, sandbox=True)
    return image


@pytest.fixture
def bobs_image(bob):
    template = services.create_template(owner=bob, data=CARD)
    image, _ = services.render_image(owner=bob, template_id=template.public_id, sandbox=True)
    return image


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_dashboard_pages_need_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_dashboard_pages_carry_a_strict_csp_and_no_inline_code(alice_client, image, path):
    response = alice_client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "frame-ancestors 'none'" in policy
    if path.endswith(".csv"):
        return
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_the_admin_still_works_under_the_csp(client, db):
    from accounts.models import User

    User.objects.create_superuser("root@example.com", "pw")
    client.force_login(User.objects.get(email="root@example.com"))
    response = client.get("/admin/billing/plan/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", response.content.decode())


def test_the_overview_shows_balance_plan_chart_data_and_recent_images(alice_client, image):
    response = alice_client.get("/dashboard/")
    content = response.content.decode()
    assert 'data-testid="balance">50<' in content
    assert "Free" in content
    data = json.loads(re.search(r'<script id="usage-30" type="application/json">(.*?)</script>', content).group(1))
    assert len(data) == 30 and set(data[0]) == {"date", "requests", "images", "credits_used", "errors"}
    assert image.url in content


def test_a_new_account_gets_the_first_steps_until_they_are_done(alice_client, alice, image):
    assert b"First steps" in alice_client.get("/dashboard/").content
    from accounts.models import ApiKey

    ApiKey.issue(alice, name="k")
    assert b"First steps" not in alice_client.get("/dashboard/").content


def test_the_template_list_shows_only_own_templates(alice_client, template, bobs_image):
    content = alice_client.get("/dashboard/templates").content.decode()
    assert template.public_id in content
    assert bobs_image.template_public_id not in content


def test_the_images_page_lists_own_images_with_thumbnails(alice_client, image, bobs_image):
    content = alice_client.get("/dashboard/images").content.decode()
    assert f'src="{image.url}"' in content
    assert bobs_image.public_id not in content


def test_the_images_page_filters(alice_client, alice, template, image):
    live, _ = services.render_image(owner=alice, template_id=template.public_id, sandbox=False)
    assert live.public_id in alice_client.get("/dashboard/images?mode=live").content.decode()
    assert image.public_id not in alice_client.get("/dashboard/images?mode=live").content.decode()
    assert image.public_id in alice_client.get("/dashboard/images?mode=test&status=completed").content.decode()
    none = alice_client.get("/dashboard/images?status=failed").content.decode()
    assert "No image matches these filters" in none
    dated = alice_client.get(f"/dashboard/images?template={template.public_id}&since=2000-01-01&until=2999-01-01")
    assert live.public_id in dated.content.decode()
    # A bad value is ignored rather than an error.
    assert alice_client.get("/dashboard/images?since=yesterday").status_code == 200


def test_the_images_page_has_an_empty_state(alice_client):
    assert b"No images yet" in alice_client.get("/dashboard/images").content


def test_image_detail_shows_modifications_metadata_and_timing(alice_client, alice, template):
    image, _ = services.render_image(
        owner=alice, template_id=template.public_id, sandbox=True, modifications={"title": "Hello"}, metadata={"o": 1}
    )
    content = alice_client.get(f"/dashboard/images/{image.public_id}").content.decode()
    assert "&quot;text&quot;: &quot;Hello&quot;" in content
    assert "&quot;o&quot;: 1" in content
    assert f"{image.render_ms} ms" in content
    assert f'href="{image.url}" download' in content


def test_another_accounts_image_is_404_everywhere(alice_client, bobs_image):
    image_id = bobs_image.public_id
    assert alice_client.get(f"/dashboard/images/{image_id}").status_code == 404
    assert alice_client.get(f"/dashboard/images/{image_id}/status").status_code == 404
    assert alice_client.post(f"/dashboard/images/{image_id}/rerender", {"modifications": "{}"}).status_code == 404
    assert alice_client.post(f"/dashboard/images/{image_id}/delete").status_code == 404
    assert Image.objects.filter(public_id=image_id).exists()


def test_the_status_fragment_polls_while_pending_and_reloads_when_done(alice_client, image):
    Image.objects.filter(pk=image.pk).update(status=Image.Status.PENDING)
    pending = alice_client.get(f"/dashboard/images/{image.public_id}/status")
    assert b'hx-trigger="every 2s"' in pending.content
    assert "HX-Refresh" not in pending
    Image.objects.filter(pk=image.pk).update(status=Image.Status.COMPLETED)
    done = alice_client.get(f"/dashboard/images/{image.public_id}/status")
    assert b"hx-trigger" not in done.content
    assert done["HX-Refresh"] == "true"


def test_rerender_makes_a_new_image_from_edited_modifications(alice_client, alice, image):
    response = alice_client.post(
        f"/dashboard/images/{image.public_id}/rerender", {"modifications": '{"title": "Again"}', "format": "jpeg"}
    )
    new = Image.objects.exclude(pk=image.pk).get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/images/{new.public_id}"
    assert new.source_image == image and new.sandbox and new.format == "jpeg"
    assert new.modifications[0]["text"] == "Again"
    assert BillingAccount.objects.get(user=alice).balance == 50  # a test image is free


def test_rerendering_a_live_image_costs_a_credit(alice_client, alice, template):
    live, _ = services.render_image(owner=alice, template_id=template.public_id, sandbox=False)
    assert BillingAccount.objects.get(user=alice).balance == 49
    alice_client.post(f"/dashboard/images/{live.public_id}/rerender", {"modifications": "[]", "format": "png"})
    assert BillingAccount.objects.get(user=alice).balance == 48


def test_rerender_errors_are_shown_next_to_the_field(alice_client, alice, image):
    bad_json = alice_client.post(
        f"/dashboard/images/{image.public_id}/rerender", {"modifications": "{", "format": "png"}
    )
    assert bad_json.status_code == 400 and b"not valid JSON" in bad_json.content
    unknown = alice_client.post(
        f"/dashboard/images/{image.public_id}/rerender", {"modifications": '{"titel": "x"}', "format": "png"}
    )
    assert unknown.status_code == 400 and b'id="id_modifications_error"' in unknown.content
    assert Image.objects.filter(owner=alice).count() == 1


def test_rerender_without_credits_says_so(alice_client, alice, template):
    from billing import ledger

    live, _ = services.render_image(owner=alice, template_id=template.public_id, sandbox=False)
    ledger.set_balance(alice, balance=0)
    response = alice_client.post(
        f"/dashboard/images/{live.public_id}/rerender", {"modifications": "[]", "format": "png"}
    )
    assert response.status_code == 403 and b"Buy credits" in response.content


def test_deleting_an_image(alice_client, image):
    response = alice_client.post(f"/dashboard/images/{image.public_id}/delete")
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()


def test_usage_agrees_with_the_api_and_exports_csv(alice_client, alice, alice_key, template):
    from conftest import client_for

    api = client_for(alice_key[1])
    assert api.post("/api/v1/images", {"template": template.public_id}, format="json").status_code == 201
    page = alice_client.get("/dashboard/usage?days=7")
    content = page.content.decode()
    figures = api.get("/api/v1/usage?days=7").json()
    embedded = json.loads(
        re.search(r'<script id="usage-days" type="application/json">(.*?)</script>', content).group(1)
    )
    assert embedded == figures["days"]
    assert figures["totals"]["images"] == 1 and figures["totals"]["credits_used"] == 1
    by_template = json.loads(
        re.search(r'id="usage-templates" type="application/json">(.*?)</script>', content).group(1)
    )
    assert by_template[0]["template"] == template.public_id and by_template[0]["credits_used"] == 1
    assert "alice live" in content  # by key

    exported = alice_client.get("/dashboard/usage.csv?days=7")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [row["date"] for row in rows] == [day["date"] for day in figures["days"]]
    assert sum(int(row["credits_used"]) for row in rows) == 1


def test_usage_ranges_fall_back_to_30_days(alice_client):
    response = alice_client.get("/dashboard/usage?days=1000")
    assert response.context["days"] == 30
    assert len(response.context["usage"]["days"]) == 30


def test_usage_by_template_counts_images_and_credits(alice, template, image):
    from django.utils import timezone

    services.render_image(owner=alice, template_id=template.public_id, sandbox=False)
    rows = services.usage_by_template(alice, since_day=timezone.now().date())
    assert rows == [
        {
            "template": template.public_id,
            "name": "Card",
            "images": 2,
            "sandbox_images": 1,
            "failed": 0,
            "credits_used": 1,
        }
    ]
    assert usage.daily_usage(alice, days=1)["totals"]["credits_used"] == 1


def test_creating_a_webhook_shows_its_secret_once(alice_client, alice):
    response = alice_client.post(
        "/dashboard/webhooks", {"url": "https://hooks.example.com/in", "events": ["image.completed"]}
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get(owner=alice)
    assert subscription.secret.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    assert subscription.secret.encode() not in alice_client.get("/dashboard/webhooks").content


def test_webhook_form_errors(alice_client, alice):
    response = alice_client.post("/dashboard/webhooks", {"url": "ftp://x", "events": []})
    assert response.status_code == 400
    assert b'id="id_url_error"' in response.content and b'id="id_events_error"' in response.content
    assert not WebhookSubscription.objects.filter(owner=alice).exists()


def test_test_events_redelivery_and_deletion(alice_client, alice, bob, django_capture_on_commit_callbacks):
    from webhooks import services as webhooks

    subscription = webhooks.create_subscription(
        owner=alice, url="https://hooks.example.com/in", events=["image.failed"]
    )
    theirs = webhooks.create_subscription(owner=bob, url="https://bob.example.com/in", events=["image.failed"])
    assert alice_client.post(f"/dashboard/webhooks/{theirs.public_id}/test").status_code == 404
    assert alice_client.post(f"/dashboard/webhooks/{theirs.public_id}/delete").status_code == 404

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert alice_client.post(f"/dashboard/webhooks/{subscription.public_id}/test").status_code == 302
    assert len(callbacks) == 1  # the delivery task is queued after commit
    delivery = WebhookDelivery.objects.get(owner=alice)
    assert delivery.event_type == "test.event" and delivery.subscription == subscription
    assert json.loads(delivery.body)["data"]["subscription"] == subscription.public_id
    page = alice_client.get("/dashboard/webhooks").content.decode()
    assert delivery.message_id in page and "test.event" in page

    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    with django_capture_on_commit_callbacks(execute=False):
        assert alice_client.post(f"/dashboard/deliveries/{delivery.message_id}/redeliver").status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0

    bobs_delivery = WebhookDelivery.objects.create(owner=bob, url=theirs.url, event_type="test.event", body="{}")
    assert alice_client.post(f"/dashboard/deliveries/{bobs_delivery.message_id}/redeliver").status_code == 404

    assert alice_client.post(f"/dashboard/webhooks/{subscription.public_id}/delete").status_code == 302
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_favicon_ico_leads_to_the_vendored_icon(client, db):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.ico"
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    assert finders.find("img/favicon.svg")


def test_every_page_names_the_icon(alice_client):
    html = alice_client.get("/dashboard/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert 'href="data:,"' not in html


def test_dashboard_renders_count_in_the_overview_and_usage_tiles(alice_client, alice, api, small_card):
    # One image from the API, one test render from the designer, one live re-render from the image page.
    first = api.post("/api/v1/images", {"template": small_card["id"], "modifications": {}}, format="json").json()
    assert (
        alice_client.post(f"/dashboard/templates/{small_card['id']}/render", "{}", "application/json").status_code
        == 201
    )
    rerender = alice_client.post(f"/dashboard/images/{first['id']}/rerender", {"modifications": "{}", "format": "png"})
    assert rerender.status_code == 302
    assert Image.objects.filter(owner=alice).count() == 3

    def tile(html: str, label: str) -> str:
        return re.search(rf'stat-label">{label}</span><span class="stat-value"[^>]*>([^<]+)<', html).group(1)

    overview = alice_client.get("/dashboard/").content.decode()
    assert tile(overview, "Images, last 30 days") == "3"
    assert tile(overview, "Used this period") == "2"  # two live renders; the designer's is a free test render
    page = alice_client.get("/dashboard/usage").content.decode()
    assert tile(page, "Images") == "3" and tile(page, "Credits used") == "2"
    assert "3 images" in alice_client.get("/dashboard/images").content.decode()
    by_template = services.usage_by_template(alice, since_day=timezone.now().date())
    assert [(row["images"], row["credits_used"]) for row in by_template] == [(3, 2)]
    by_key = {row["api_key__name"]: row["images"] for row in usage.usage_by_key(alice, since_day=timezone.now().date())}
    assert by_key == {"alice live": 1, "Dashboard": 2}
