"""The audit log page (docs/dashboard.md): the current workspace's events for its owner and
admins, newest first, paginated; 403 for a member; in the nav only for those who may see it."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts import audit
from accounts.middleware import SESSION_KEY
from accounts.models import ApiKey, personal_workspace
from conftest import logged_in


def working_in(user, workspace):
    """A dashboard client of `user` who chose `workspace` (the switcher's job, phase 2)."""
    client = logged_in(user)
    session = client.session
    session[SESSION_KEY] = workspace.public_id
    session.save()
    return client


def add(owner, member, role: str) -> None:
    call_command("add_member", owner.email, member.email, "--role", role, stdout=StringIO())


def test_a_new_workspace_shows_the_empty_state(alice_client):
    response = alice_client.get("/dashboard/audit")
    assert response.status_code == 200
    assert b'data-testid="audit-empty"' in response.content
    assert b'href="/dashboard/audit" aria-current="page"' in response.content


def test_the_owner_sees_the_events_newest_first_with_actor_target_and_ip(alice_client, alice):
    alice_client.post("/dashboard/keys", {"name": "first", "mode": "live"}, REMOTE_ADDR="203.0.113.7")
    key = ApiKey.objects.get(user=alice)
    alice_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    page = alice_client.get("/dashboard/audit").content.decode()
    assert 'data-testid="audit-empty"' not in page
    actions = re.findall(r'<code class="mono">(key\.\w+)</code>', page)
    assert actions == ["key.revoked", "key.created"]
    assert key.public_id in page and "alice@example.com" in page and "203.0.113.7" in page
    assert "<style" not in page and ' style="' not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # CSP: no inline scripts


def test_an_admin_sees_the_workspace_s_events(alice, bob):
    workspace = personal_workspace(alice)
    ApiKey.issue(alice, name="owner's key")
    add(alice, bob, "admin")
    page = working_in(bob, workspace).get("/dashboard/audit")
    assert page.status_code == 200
    content = page.content.decode()
    assert "member.added" in content and "key.created" in content and workspace.public_id in content


def test_a_member_gets_403_and_no_link(alice, bob):
    add(alice, bob, "member")
    client = working_in(bob, personal_workspace(alice))
    response = client.get("/dashboard/audit")
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert b'href="/dashboard/audit"' not in client.get("/dashboard/").content


def test_an_admin_sees_the_link_and_no_other_workspace_s_events(alice, bob, bob_key):
    add(alice, bob, "admin")
    client = working_in(bob, personal_workspace(alice))
    assert b'href="/dashboard/audit"' in client.get("/dashboard/").content
    # bob's own key belongs to his personal workspace, not to alice's log.
    assert bob_key[0].public_id.encode() not in client.get("/dashboard/audit").content


def test_the_page_needs_a_login(client, db):
    response = client.get("/dashboard/audit")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("page", "rows"), [("1", 50), ("2", 10)])
def test_the_log_pages_fifty_at_a_time(alice_client, alice, page, rows):
    workspace = personal_workspace(alice)
    for number in range(60):
        audit.record(workspace, alice, "test.event", f"t{number:02d}")
    content = alice_client.get("/dashboard/audit", {"page": page}).content.decode()
    targets = re.findall(r'<code class="mono">(t\d\d)</code>', content)
    assert len(targets) == rows
    assert targets[0] == ("t59" if page == "1" else "t09")
    assert "Page " + page + " of 2" in content
