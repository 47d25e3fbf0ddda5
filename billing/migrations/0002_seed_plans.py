from django.db import migrations

PLANS = [
    # slug, name, monthly credits, requests per minute, price in cents
    ("free", "Free", 50, 10, 0),
    ("starter", "Starter", 1_000, 60, 1_900),
    ("pro", "Pro", 10_000, 300, 9_900),
    ("business", "Business", 100_000, 1_000, 49_900),
]


def seed_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for order, (slug, name, credits, rate, price) in enumerate(PLANS):
        Plan.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "monthly_credits": credits,
                "rate_limit_per_minute": rate,
                "price_cents": price,
                "is_default": slug == "free",
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_plan_account_ledger")]
    operations = [migrations.RunPython(seed_plans, migrations.RunPython.noop)]
