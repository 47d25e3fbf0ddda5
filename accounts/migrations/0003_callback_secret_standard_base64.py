import base64
import secrets

from django.db import migrations


def standard_base64_secrets(apps, schema_editor):
    # Callback secrets were URL-safe base64 at first; Standard Webhooks verifiers
    # decode the part after whsec_ as standard base64, so every secret is renewed.
    User = apps.get_model("accounts", "User")
    for user in User.objects.all():
        user.callback_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        user.save(update_fields=["callback_secret"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_idempotency_record")]
    operations = [migrations.RunPython(standard_base64_secrets, migrations.RunPython.noop)]
