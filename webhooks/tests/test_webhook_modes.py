"""Issue 9, point 4: a webhook subscription has the mode of the key that made it and
hears only events of images of that mode; each mode sees only its own subscriptions."""

import json

from webhooks.models import WebhookDelivery, WebhookSubscription

LIVE_URL = "https://live.example.com/hook"
TEST_URL = "https://test.example.com/hook"


def subscribe(client, url, events=("image.completed", "image.failed")):
    response = client.post("/api/v1/webhooks", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def render(client, template) -> dict:
    # The deliveries are written in the render's transaction; the test never commits it, so nothing is sent.
    response = client.post("/api/v1/images", {"template": template["id"]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def delivered(event_type: str = "image.completed") -> list[tuple[str, str]]:
    """(subscription id, image id) of every delivery of this event."""
    return [
        (delivery.subscription.public_id, json.loads(delivery.body)["data"]["id"])
        for delivery in WebhookDelivery.objects.filter(event_type=event_type).select_related("subscription")
    ]


def test_a_subscription_shows_the_mode_of_the_key_that_made_it(api, sandbox_api):
    live = subscribe(api, LIVE_URL)
    test = subscribe(sandbox_api, TEST_URL)
    assert (live["mode"], test["mode"]) == ("live", "test")
    assert live["disabled_at"] is None and test["secret"].startswith("whsec_")
    assert api.get(f"/api/v1/webhooks/{live['id']}").json()["mode"] == "live"
    assert sandbox_api.get("/api/v1/webhooks").json()["results"][0]["mode"] == "test"
    assert WebhookSubscription.objects.get(public_id=test["id"]).mode == "test"
    # The mode is the key's: a body cannot choose another.
    response = sandbox_api.post(
        "/api/v1/webhooks", {"url": LIVE_URL, "events": ["image.completed"], "mode": "live"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert WebhookSubscription.objects.count() == 2


def test_each_mode_lists_reads_and_deletes_only_its_own_subscriptions(api, sandbox_api):
    live = subscribe(api, LIVE_URL)
    test = subscribe(sandbox_api, TEST_URL)
    assert [s["id"] for s in api.get("/api/v1/webhooks").json()["results"]] == [live["id"]]
    assert [s["id"] for s in sandbox_api.get("/api/v1/webhooks").json()["results"]] == [test["id"]]
    for client, other in ((sandbox_api, live), (api, test)):
        for answer in (client.get(f"/api/v1/webhooks/{other['id']}"), client.delete(f"/api/v1/webhooks/{other['id']}")):
            assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert WebhookSubscription.objects.count() == 2
    assert sandbox_api.delete(f"/api/v1/webhooks/{test['id']}").status_code == 204
    assert api.delete(f"/api/v1/webhooks/{live['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_a_test_key_subscription_does_not_receive_live_image_events(api, sandbox_api, small_card):
    live = subscribe(api, LIVE_URL)
    subscribe(sandbox_api, TEST_URL)
    image = render(api, small_card)
    assert image["sandbox"] is False
    assert delivered() == [(live["id"], image["id"])]
    assert not WebhookDelivery.objects.filter(url=TEST_URL).exists()


def test_a_live_subscription_does_not_receive_sandbox_image_events(api, sandbox_api, small_card):
    subscribe(api, LIVE_URL)
    test = subscribe(sandbox_api, TEST_URL)
    image = render(sandbox_api, small_card)
    assert image["sandbox"] is True
    assert delivered() == [(test["id"], image["id"])]
    assert not WebhookDelivery.objects.filter(url=LIVE_URL).exists()


def test_a_failed_sandbox_render_is_reported_only_to_test_subscriptions(
    api, sandbox_api, settings, django_capture_on_commit_callbacks
):
    settings.ALLOW_PRIVATE_FETCH = False  # loopback is refused: nothing below reaches the network
    subscribe(api, "http://127.0.0.1:9/live")
    test = subscribe(sandbox_api, "http://127.0.0.1:9/test")
    photo = api.post(
        "/api/v1/templates",
        {
            "width": 10,
            "height": 10,
            "elements": [{"name": "photo", "type": "image", "x": 0, "y": 0, "width": 10, "height": 10, "src": ""}],
        },
        format="json",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):  # the (inline) worker renders it and fails
        response = sandbox_api.post(
            "/api/v1/images",
            {"template": photo["id"], "async": True, "modifications": {"photo": "http://127.0.0.1:9/x.png"}},
            format="json",
        )
    assert response.status_code == 202
    image_id = response.json()["id"]
    assert sandbox_api.get(f"/api/v1/images/{image_id}").json()["status"] == "failed"
    assert delivered("image.failed") == [(test["id"], image_id)]


def test_the_dashboard_form_chooses_the_mode_live_by_default(alice_client, alice):
    page = alice_client.get("/dashboard/webhooks").content.decode()
    assert 'name="mode" value="live"' in page and 'name="mode" value="test"' in page
    response = alice_client.post("/dashboard/webhooks", {"url": LIVE_URL, "events": ["image.completed"]})
    assert response.status_code == 200, response.content
    response = alice_client.post(
        "/dashboard/webhooks", {"url": TEST_URL, "events": ["image.completed"], "mode": "test"}
    )
    assert response.status_code == 200
    modes = dict(WebhookSubscription.objects.filter(owner=alice).values_list("url", "mode"))
    assert modes == {LIVE_URL: "live", TEST_URL: "test"}
    page = alice_client.get("/dashboard/webhooks").content.decode()
    assert '<span class="badge badge-test">test</span>' in page and '<span class="badge badge-live">live</span>' in page
    bad = alice_client.post("/dashboard/webhooks", {"url": TEST_URL, "events": ["image.completed"], "mode": "both"})
    assert bad.status_code == 400 and WebhookSubscription.objects.count() == 2
