"""The audit log (docs/workspaces.md, "Audit log"): keys and members write one event each,
in the action's own transaction; the rows cannot be changed; the commands of §15."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from accounts import audit
from accounts.models import MAX_ACTIVE_KEYS, ApiKey, AuditEvent, Membership, personal_workspace


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def events_of(user, action: str | None = None):
    events = AuditEvent.objects.filter(workspace=personal_workspace(user))
    return list(events.filter(action=action) if action else events)


def broken_audit(monkeypatch):
    """Make the event's insert fail, to see the action it belongs to roll back with it."""

    def fail(*args, **kwargs):
        raise DatabaseError("the audit insert failed")

    monkeypatch.setattr(AuditEvent.objects, "create", fail)


# --- keys ---------------------------------------------------------------------------------


def test_creating_a_key_in_the_dashboard_writes_one_event_with_the_client_ip(alice_client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = alice_client.post(
        "/dashboard/keys",
        {"name": "CI", "mode": "live", "allowed_ips": "", "allowed_domains": ""},
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 302
    key = ApiKey.objects.get(user=alice)
    [event] = events_of(alice)
    assert (event.action, event.target, event.actor, event.actor_email) == (
        "key.created",
        key.public_id,
        alice,
        "alice@example.com",
    )
    assert event.ip == "203.0.113.9"  # the address our one proxy saw, not what the client wrote
    assert event.details == {"name": "CI", "mode": "live", "prefix": key.prefix}


def test_a_key_the_cap_refuses_writes_no_event(alice):
    for number in range(MAX_ACTIVE_KEYS):
        ApiKey.issue(alice, name=f"k{number}")
    with pytest.raises(ValidationError):
        ApiKey.issue(alice, name="one too many")
    assert len(events_of(alice, "key.created")) == MAX_ACTIVE_KEYS


def test_a_key_whose_event_fails_is_not_created(alice, monkeypatch):
    broken_audit(monkeypatch)
    with pytest.raises(DatabaseError):
        ApiKey.issue(alice, name="CI")
    assert not ApiKey.objects.filter(user=alice).exists()


def test_revoking_in_the_dashboard_writes_one_event_even_when_repeated(alice_client, alice, alice_key):
    key, _ = alice_key
    alice_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    alice_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    [event] = events_of(alice, "key.revoked")
    assert (event.target, event.actor, event.ip) == (key.public_id, alice, "127.0.0.1")


def test_revoking_in_the_admin_names_the_staff_user(staff_client, alice, alice_key):
    key, _ = alice_key
    response = staff_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [key.pk]},
    )
    assert response.status_code == 302
    [event] = events_of(alice, "key.revoked")
    assert event.target == key.public_id and event.actor_email == "staff@example.com"


@pytest.mark.parametrize("grace", ["none", "24h"])
def test_rolling_in_the_dashboard_writes_one_rolled_event(alice_client, alice, alice_key, grace):
    key, _ = alice_key
    before = len(events_of(alice))
    response = alice_client.post(f"/dashboard/keys/{key.public_id}/roll", {"grace": grace})
    assert response.status_code == 302
    new = ApiKey.objects.exclude(pk=key.pk).get(user=alice)
    assert len(events_of(alice)) == before + 1  # no key.created or key.revoked besides
    [event] = events_of(alice, "key.rolled")
    assert (event.target, event.actor) == (key.public_id, alice)
    assert event.details["new_key"] == new.public_id


def test_a_roll_whose_event_fails_changes_nothing(alice, alice_key, monkeypatch):
    key, raw = alice_key
    broken_audit(monkeypatch)
    with pytest.raises(DatabaseError):
        key.roll(grace=timedelta(0))
    assert ApiKey.objects.filter(user=alice).count() == 1
    assert ApiKey.objects.find_active(raw) is not None


def test_create_api_key_writes_one_event(alice):
    output = run("create_api_key", alice.email, "--name", "CI")
    key = ApiKey.objects.get(user=alice)
    assert key.workspace.public_id in output
    [event] = events_of(alice)
    assert (event.action, event.target, event.actor, event.ip) == ("key.created", key.public_id, alice, None)


# --- the append-only guard ------------------------------------------------------------------


def test_an_event_cannot_be_changed(alice, alice_key):
    event = AuditEvent.objects.get(workspace=personal_workspace(alice))
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="key.nothing")
    event.target = "key_forged"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor=None, details={"forged": True})
    assert AuditEvent.objects.get(pk=event.pk).action == "key.created"


def test_deleting_the_actor_keeps_the_event_and_their_address(alice, bob):
    add = run("add_member", alice.email, bob.email, "--role", "admin")
    assert "as admin" in add
    key, _ = ApiKey.issue(bob, workspace=personal_workspace(alice))
    bob.delete()  # SET_NULL: the one update the guard lets through
    event = AuditEvent.objects.get(action="key.created", target=key.public_id)
    assert event.actor is None and event.actor_email == "bob@example.com"


def test_record_ignores_an_address_that_is_not_one(alice, rf):
    request = rf.get("/", REMOTE_ADDR="not-an-ip")
    event = audit.record(personal_workspace(alice), alice, "test.event", "x", request=request)
    assert event.ip is None


# --- members: add_member ----------------------------------------------------------------------


def test_add_member_adds_to_the_owner_s_personal_workspace_with_one_event(alice, bob):
    output = run("add_member", "ALICE@example.com", bob.email)
    workspace = personal_workspace(alice)
    assert workspace.public_id in output
    assert Membership.objects.get(workspace=workspace, user=bob).role == "member"
    [event] = events_of(alice)
    assert (event.action, event.target, event.actor) == ("member.added", "bob@example.com", None)
    assert event.details == {"role": "member", "by": "manage.py add_member"}


def test_add_member_errors(alice, bob):
    with pytest.raises(CommandError, match="No account with e-mail nobody@"):
        run("add_member", "nobody@example.com", bob.email)
    with pytest.raises(CommandError, match="No account with e-mail nobody@"):
        run("add_member", alice.email, "nobody@example.com")
    with pytest.raises(CommandError, match="owns the workspace already"):
        run("add_member", alice.email, alice.email)
    run("add_member", alice.email, bob.email)
    with pytest.raises(CommandError, match=r"a member of wsp_\w+ already"):
        run("add_member", alice.email, bob.email, "--role", "admin")
    with pytest.raises(CommandError):
        run("add_member", alice.email, bob.email, "--role", "owner")  # argparse's choices
    assert Membership.objects.get(workspace=personal_workspace(alice), user=bob).role == "member"
    assert len(events_of(alice, "member.added")) == 1


# --- create_api_key --workspace ----------------------------------------------------------------


def test_create_api_key_in_a_workspace_the_user_administers(alice, bob):
    team = personal_workspace(alice)
    run("add_member", alice.email, bob.email, "--role", "admin")
    output = run("create_api_key", bob.email, "--workspace", team.public_id)
    key = ApiKey.objects.get(user=bob)
    assert key.workspace == team and team.public_id in output
    event = AuditEvent.objects.get(action="key.created")
    assert (event.workspace, event.actor, event.target) == (team, bob, key.public_id)


def test_create_api_key_refuses_a_workspace_the_user_may_not_manage(alice, bob):
    team = personal_workspace(alice)
    with pytest.raises(CommandError, match="Only an owner or admin"):
        run("create_api_key", bob.email, "--workspace", team.public_id)
    run("add_member", alice.email, bob.email)  # a member: no keys permission
    with pytest.raises(CommandError, match="Only an owner or admin"):
        run("create_api_key", bob.email, "--workspace", team.public_id)
    with pytest.raises(CommandError, match="No workspace wsp_nope"):
        run("create_api_key", bob.email, "--workspace", "wsp_nope")
    assert not ApiKey.objects.filter(user=bob).exists()
    assert not AuditEvent.objects.filter(action="key.created").exists()


def test_a_user_keeps_no_events_of_others(alice, bob, alice_key, bob_key):
    assert [e.target for e in events_of(bob)] == [bob_key[0].public_id]


# --- members in the admin --------------------------------------------------------------------


def test_members_added_changed_and_removed_in_the_admin_are_audited(staff_client, alice, bob):
    workspace = personal_workspace(alice)
    owner = Membership.objects.get(workspace=workspace, user=alice)
    url = reverse("admin:accounts_workspace_change", args=[workspace.pk])
    rows = [("0", owner.pk, alice.pk, "owner", False)]

    def post(rows, total_initial: int):
        data = {"name": workspace.name, "memberships-TOTAL_FORMS": str(len(rows))}
        data["memberships-INITIAL_FORMS"] = str(total_initial)
        for index, pk, user, role, delete in rows:
            data.update({f"memberships-{index}-workspace": workspace.pk, f"memberships-{index}-user": user})
            data[f"memberships-{index}-role"] = role
            if pk:
                data[f"memberships-{index}-id"] = pk
            if delete:
                data[f"memberships-{index}-DELETE"] = "on"
        response = staff_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]

    post([*rows, ("1", None, bob.pk, "member", False)], 1)
    bobs = Membership.objects.get(workspace=workspace, user=bob)
    post([*rows, ("1", bobs.pk, bob.pk, "admin", False)], 2)
    post([*rows, ("1", bobs.pk, bob.pk, "admin", True)], 2)
    events = AuditEvent.objects.filter(workspace=workspace).order_by("id")
    assert [(e.action, e.target, e.actor_email) for e in events] == [
        ("member.added", "bob@example.com", "staff@example.com"),
        ("member.role_changed", "bob@example.com", "staff@example.com"),
        ("member.removed", "bob@example.com", "staff@example.com"),
    ]
    assert events[1].details == {"from": "member", "to": "admin", "by": "admin"}
    assert not Membership.objects.filter(user=bob, workspace=workspace).exists()
