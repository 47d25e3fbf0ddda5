"""Workspaces (docs/workspaces.md, phase 1): every existing user gets a personal workspace
with an owner membership, and every API key moves into its user's personal workspace.
0009 then makes ApiKey.workspace required (a separate migration: PostgreSQL refuses to
ALTER a table with pending deferred foreign-key checks from this one's updates)."""

import accounts.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


BATCH = 1000


def give_every_user_a_personal_workspace(apps, schema_editor):
    """Three queries per thousand users (insert workspaces, read their ids back, insert
    memberships) and one UPDATE for all the keys."""
    User = apps.get_model("accounts", "User")
    Workspace = apps.get_model("accounts", "Workspace")
    Membership = apps.get_model("accounts", "Membership")
    ApiKey = apps.get_model("accounts", "ApiKey")
    db = schema_editor.connection.alias

    with_one = Membership.objects.using(db).filter(personal=True).values("user_id")
    users = User.objects.using(db).exclude(pk__in=with_one).order_by("pk").values_list("pk", "email")
    batch = []
    for row in users.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _make_personal_workspaces(Workspace, Membership, db, batch)
            batch = []
    if batch:
        _make_personal_workspaces(Workspace, Membership, db, batch)

    personal = Membership.objects.using(db).filter(user_id=models.OuterRef("user_id"), personal=True)
    ApiKey.objects.using(db).filter(workspace__isnull=True).update(
        workspace_id=models.Subquery(personal.values("workspace_id")[:1])
    )


def _make_personal_workspaces(Workspace, Membership, db, users):
    # Public ids are made here, so the new rows are found again by them on any database.
    public_ids = {user_id: accounts.models.new_workspace_id() for user_id, _ in users}
    Workspace.objects.using(db).bulk_create(
        [
            Workspace(public_id=public_ids[user_id], name=accounts.models.personal_workspace_name(email), personal=True)
            for user_id, email in users
        ]
    )
    pks = dict(Workspace.objects.using(db).filter(public_id__in=public_ids.values()).values_list("public_id", "pk"))
    Membership.objects.using(db).bulk_create(
        [
            Membership(workspace_id=pks[public_ids[user_id]], user_id=user_id, role="owner", personal=True)
            for user_id, _ in users
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_idempotency_modes_and_lease"),
    ]

    operations = [
        migrations.CreateModel(
            name="Workspace",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "public_id",
                    models.CharField(
                        default=accounts.models.new_workspace_id, editable=False, max_length=40, unique=True
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("personal", models.BooleanField(default=False, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name", "pk"],
            },
        ),
        migrations.AddField(
            model_name="apikey",
            name="workspace",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="api_keys", to="accounts.workspace"
            ),
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[("owner", "Owner"), ("admin", "Admin"), ("member", "Member")],
                        default="member",
                        max_length=10,
                    ),
                ),
                ("personal", models.BooleanField(default=False, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="accounts.workspace"
                    ),
                ),
            ],
            options={
                "ordering": ["workspace", "created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("workspace", "user"), name="membership_one_per_user_and_workspace"),
                    models.UniqueConstraint(
                        condition=models.Q(("role", "owner")),
                        fields=("workspace",),
                        name="membership_one_owner_per_workspace",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("personal", True)),
                        fields=("user",),
                        name="membership_one_personal_workspace_per_user",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("personal", False), ("role", "owner"), _connector="OR"),
                        name="membership_personal_only_for_the_owner",
                    ),
                ],
            },
        ),
        migrations.RunPython(give_every_user_a_personal_workspace, migrations.RunPython.noop),
    ]
