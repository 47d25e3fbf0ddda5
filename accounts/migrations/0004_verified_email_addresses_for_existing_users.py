"""Every user from before allauth gets a confirmed, primary EmailAddress for their
User.email: they signed up with it (or an operator made the account), they keep
logging in with it, and their live renders keep working (docs/accounts.md)."""

from django.db import migrations


def confirm_existing_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    with_address = EmailAddress.objects.values("user_id")
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user_id, email=email.lower(), verified=True, primary=True)
            for user_id, email in User.objects.exclude(pk__in=with_address).values_list("pk", "email").iterator()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_callback_secret_standard_base64"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(confirm_existing_addresses, migrations.RunPython.noop)]
