from django.db import migrations

PACKS = [
    # slug, name, credits, price in cents
    ("pack-500", "500 credits", 500, 900),
    ("pack-2500", "2,500 credits", 2_500, 3_900),
    ("pack-10000", "10,000 credits", 10_000, 12_900),
]

APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE ON billing_ledgerentry "
        "BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger rows are append-only' USING ERRCODE = 'integrity_constraint_violation'; "
        "END; $$ LANGUAGE plpgsql;",
        "CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE ON billing_ledgerentry "
        "FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS billing_ledger_append_only;"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_ledgerentry;",
        "DROP FUNCTION IF EXISTS billing_ledger_append_only();",
    ],
}


def seed_packs(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for order, (slug, name, credits, price) in enumerate(PACKS):
        CreditPack.objects.update_or_create(
            slug=slug, defaults={"name": name, "credits": credits, "price_cents": price, "sort_order": order}
        )


def run(statements):
    def apply(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_packs_carryover_payments_request_log")]
    operations = [
        migrations.RunPython(seed_packs, migrations.RunPython.noop),
        # Ledger rows are never changed, whatever code tries (deleting an
        # account's rows with the account stays possible).
        migrations.RunPython(run(APPEND_ONLY), run(DROP)),
    ]
