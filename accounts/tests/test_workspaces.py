"""Workspaces, phase 1 (docs/workspaces.md): every user has a personal workspace they own,
however the user was made (create_user, the sign-up page, a first Google/GitHub sign-in,
create_account, the migration of existing users); API keys belong to a workspace; the
database holds one owner per workspace and one personal workspace per user; the roles table."""

from datetime import timedelta
from io import StringIO
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import ApiKey, Membership, User, Workspace, personal_workspace
from accounts.tests import fake_oauth
from conftest import client_for

PASSWORD = "correct horse battery staple"


def the_personal_workspace_of(user) -> Workspace:
    """Read straight from the tables: the one owner membership marked personal, and its workspace."""
    membership = Membership.objects.get(user=user, personal=True)
    assert membership.role == "owner" and membership.workspace.personal
    assert Membership.objects.filter(workspace=membership.workspace).count() == 1
    return membership.workspace


# --- Every way a user is made ---------------------------------------------------------


def test_create_user_makes_the_personal_workspace(db):
    user = User.objects.create_user("ada.lovelace@example.com", PASSWORD)
    workspace = the_personal_workspace_of(user)
    assert workspace.name == "Ada Lovelace's workspace"
    assert workspace.public_id.startswith("wsp_") and len(workspace.public_id) == 26
    assert personal_workspace(user) == workspace  # found, not made again
    assert Workspace.objects.count() == 1


def test_create_superuser_makes_the_personal_workspace(db):
    user = User.objects.create_superuser("root@example.com", PASSWORD)
    assert the_personal_workspace_of(user).name == "Root's workspace"


@pytest.mark.parametrize(
    "email,name",
    [
        ("alice@example.com", "Alice's workspace"),
        ("bob+imagior@example.com", "Bob's workspace"),
        ("jean-luc_picard@example.com", "Jean Luc Picard's workspace"),
        ("42@example.com", "Personal"),
        ("_@example.com", "Personal"),
    ],
)
def test_the_personal_workspace_is_named_after_the_address(db, email, name):
    assert the_personal_workspace_of(User.objects.create_user(email)).name == name


def test_signing_up_on_the_page_makes_the_personal_workspace(client, db):
    # allauth saves the user itself, not through create_user.
    response = client.post("/signup", {"email": "Ada@Example.com", "password1": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    assert the_personal_workspace_of(user).name == "Ada's workspace"


def test_a_first_github_sign_in_makes_the_personal_workspace(client, db, monkeypatch, settings):
    fake = fake_oauth.FakeProvider()
    server = fake_oauth.start(fake)
    try:
        fake_oauth.point_allauth_at(monkeypatch, fake.url)
        settings.SOCIALACCOUNT_PROVIDERS = fake_oauth.provider_settings()
        start = client.post("/accounts/github/login/?process=login")
        query = fake_oauth.query_of(start["Location"])
        callback = urlsplit(query["redirect_uri"]).path
        response = client.get(callback, {"code": fake_oauth.CODE, "state": query["state"]})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(email="ada@example.com")
    assert the_personal_workspace_of(user).name == "Ada's workspace"


def test_create_account_makes_the_personal_workspace(db):
    call_command("create_account", "carol@example.com", "--plan", "pro", stdout=StringIO())
    call_command("create_account", "carol@example.com", "--credits", "3", stdout=StringIO())  # idempotent
    user = User.objects.get(email="carol@example.com")
    assert the_personal_workspace_of(user).name == "Carol's workspace"
    assert Workspace.objects.count() == 1


def test_two_makers_at_once_end_with_one_personal_workspace(alice):
    """The loser of the race (its read missed, its insert hits the unique constraint)
    returns the winner's workspace and leaves nothing behind."""
    existing = the_personal_workspace_of(alice)
    real_get = QuerySet.get
    missed = []

    def get_misses_once(self, *args, **kwargs):
        if not missed and self.model is Workspace:
            missed.append(True)
            raise Workspace.DoesNotExist
        return real_get(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "get", get_misses_once):
        assert personal_workspace(alice) == existing
    assert missed and Workspace.objects.count() == 1 and Membership.objects.count() == 1


def test_deleting_an_account_deletes_its_personal_workspace_and_keys(alice, bob, alice_key, bob_key):
    call_command("delete_account", "alice@example.com", "--yes", stdout=StringIO())
    assert list(Workspace.objects.all()) == [the_personal_workspace_of(bob)]
    assert list(ApiKey.objects.all()) == [bob_key[0]]


# --- What the database refuses ----------------------------------------------------------


def test_the_database_holds_one_owner_per_workspace(alice, bob):
    workspace = the_personal_workspace_of(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(workspace=workspace, user=bob, role="owner")
    # Admins and members: as many as you like (the plan's limit comes in phase 2).
    Membership.objects.create(workspace=workspace, user=bob, role="admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(workspace=workspace, user=bob).update(role="owner")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(workspace=workspace, user=bob, role="member")  # one membership per user


def test_the_database_holds_one_personal_workspace_per_user(alice):
    second = Workspace.objects.create(name="Another", personal=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(workspace=second, user=alice, role="owner", personal=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(workspace=second, user=alice, role="member", personal=True)
    # Owning a team workspace besides is fine.
    Membership.objects.create(workspace=second, user=alice, role="owner")


# --- API keys ------------------------------------------------------------------------------


def test_a_key_is_issued_in_the_personal_workspace_unless_told_otherwise(alice, bob):
    key, _ = ApiKey.issue(alice)
    assert key.workspace == the_personal_workspace_of(alice)
    team = Workspace.objects.create(name="Agency")
    Membership.objects.create(workspace=team, user=alice, role="owner")
    team_key, _ = ApiKey.issue(alice, name="agency", workspace=team)
    assert ApiKey.objects.get(pk=team_key.pk).workspace == team
    rolled, _ = team_key.roll(grace=timedelta(0))
    assert rolled.workspace == team


def test_only_an_owner_or_admin_of_a_workspace_issues_its_keys(alice, bob):
    team = the_personal_workspace_of(alice)
    with pytest.raises(ValidationError):
        ApiKey.issue(bob, workspace=team)  # not a member
    Membership.objects.create(workspace=team, user=bob, role="member")
    with pytest.raises(ValidationError):
        ApiKey.issue(bob, workspace=team)  # a member has no "keys" permission
    Membership.objects.filter(workspace=team, user=bob).update(role="admin")
    key, _ = ApiKey.issue(bob, workspace=team)
    assert key.workspace == team and key.user == bob
    assert ApiKey.objects.filter(workspace=team).count() == 1


def test_the_account_shows_the_key_s_workspace(alice, api):
    body = api.get("/api/v1/account").json()
    workspace = the_personal_workspace_of(alice)
    assert body["workspace"] == {"id": workspace.public_id, "name": "Alice's workspace"}


def test_a_key_without_account_read_sees_no_workspace(alice):
    _, raw = ApiKey.issue(alice, scopes=["images:read"])
    body = client_for(raw).get("/api/v1/account").json()
    assert body["workspace"] is None and body["email"] is None
    assert body["key"]["scopes"] == ["images:read"]


# --- Django admin ------------------------------------------------------------------------


def test_the_admin_finds_workspaces_by_name_id_and_member(staff_client, alice, bob):
    workspace = the_personal_workspace_of(alice)
    changelist = reverse("admin:accounts_workspace_changelist")
    for q in ["Alice's", workspace.public_id, "alice@example.com"]:
        page = staff_client.get(changelist, {"q": q}).content.decode()
        assert workspace.public_id in page and the_personal_workspace_of(bob).public_id not in page, q
    page = staff_client.get(reverse("admin:accounts_workspace_change", args=[workspace.pk])).content.decode()
    assert "alice@example.com" in page or f'value="{alice.pk}"' in page


def post_memberships(staff_client, workspace, owner, *, owner_role: str, newcomer, newcomer_role: str):
    """Submit the workspace's admin page with the owner's row (given `owner_role`) and a new row."""
    prefix = "memberships"
    return staff_client.post(
        reverse("admin:accounts_workspace_change", args=[workspace.pk]),
        {
            "name": workspace.name,
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": owner.pk,
            f"{prefix}-0-workspace": workspace.pk,
            f"{prefix}-0-user": owner.user_id,
            f"{prefix}-0-role": owner_role,
            f"{prefix}-1-workspace": workspace.pk,
            f"{prefix}-1-user": newcomer.pk,
            f"{prefix}-1-role": newcomer_role,
        },
    )


def test_the_admin_refuses_a_second_owner_with_a_message(staff_client, alice, bob):
    workspace = the_personal_workspace_of(alice)
    owner = Membership.objects.get(workspace=workspace)
    response = post_memberships(staff_client, workspace, owner, owner_role="owner", newcomer=bob, newcomer_role="owner")
    assert response.status_code == 200  # the form again, not a 500
    assert b"exactly one owner" in response.content
    assert Membership.objects.filter(workspace=workspace).count() == 1


def test_the_admin_keeps_the_owner_of_a_personal_workspace(staff_client, alice, bob):
    workspace = the_personal_workspace_of(alice)
    owner = Membership.objects.get(workspace=workspace)
    response = post_memberships(
        staff_client, workspace, owner, owner_role="member", newcomer=bob, newcomer_role="owner"
    )
    assert response.status_code == 200 and b"stays its owner" in response.content
    assert list(Membership.objects.filter(workspace=workspace).values_list("user", "role")) == [(alice.pk, "owner")]
    # Memberships have a read-only list of their own.
    membership_page = reverse("admin:accounts_membership_change", args=[owner.pk])
    assert staff_client.get(membership_page).status_code == 200
    assert staff_client.post(membership_page, {"role": "member"}).status_code == 403


# --- Roles ---------------------------------------------------------------------------------

# The table of docs/workspaces.md, written out: (permission, owner, admin, member).
EXPECTED = [
    ("design", True, True, True),
    ("render", True, True, True),
    ("usage", True, True, True),
    ("keys", True, True, False),
    ("webhooks", True, True, False),
    ("members", True, True, False),
    ("audit_log", True, True, False),
    ("settings", True, True, False),
    ("billing", True, False, False),
    ("transfer", True, False, False),
    ("delete", True, False, False),
]


@pytest.mark.parametrize("permission,owner,admin,member", EXPECTED)
def test_each_role_has_exactly_its_permissions(permission, owner, admin, member):
    assert (
        roles.allows("owner", permission),
        roles.allows("admin", permission),
        roles.allows("member", permission),
    ) == (owner, admin, member)
    assert not roles.allows("stranger", permission)


def test_the_table_names_every_permission_once_and_only_known_roles():
    assert sorted(roles.PERMISSIONS) == sorted(row[0] for row in EXPECTED)
    assert set().union(*roles.PERMISSIONS.values()) <= set(roles.ROLES)
    assert set(roles.ROLES) == set(Membership.Role.values)
    with pytest.raises(KeyError):
        roles.allows("owner", "keyz")  # a typo is an error, not a silent answer


# --- Migration 0008/0009 on a populated database ------------------------------------------

BEFORE = [("accounts", "0006_idempotency_modes_and_lease")]


def _populate(apps, start: int, count: int) -> None:
    """Users made the old way (no workspace), two keys each, with the models of 0006."""
    OldUser = apps.get_model("accounts", "User")
    OldKey = apps.get_model("accounts", "ApiKey")
    for n in range(start, start + count):
        user = OldUser.objects.create(email=f"user{n}@example.com" if n % 5 else f"{n}@example.com")
        for mode in ["live", "test"]:
            OldKey.objects.create(user=user, mode=mode, prefix=f"imk_{mode}_{n}", key_hash=f"{mode}-{n}")


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_user_a_personal_workspace_and_moves_their_keys():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        _populate(executor.loader.project_state(BEFORE).apps, 0, 3)
        with CaptureQueriesContext(connection) as few:
            MigrationExecutor(connection).migrate(leaves)
        assert Workspace.objects.count() == 3

        # Back, thirty more users, forward again: the same number of queries (bulk, not per user).
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        _populate(executor.loader.project_state(BEFORE).apps, 3, 30)
        with CaptureQueriesContext(connection) as many:
            MigrationExecutor(connection).migrate(leaves)
        assert len(many) == len(few)

        users = list(User.objects.all())
        assert len(users) == 33 and Workspace.objects.count() == 33 and Membership.objects.count() == 33
        for user in users:
            workspace = the_personal_workspace_of(user)
            expected = "Personal" if user.email[0].isdigit() else f"User{user.email[4:].split('@')[0]}'s workspace"
            assert workspace.name == expected
            keys = ApiKey.objects.filter(user=user)
            assert keys.count() == 2 and {key.workspace_id for key in keys} == {workspace.pk}
        # After it, the model's own paths find the same workspace.
        assert personal_workspace(users[0]) == the_personal_workspace_of(users[0])
    finally:
        MigrationExecutor(connection).migrate(leaves)
