"""Every key has a workspace since 0008: the column becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_workspaces"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apikey",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="api_keys", to="accounts.workspace"
            ),
        ),
    ]
