from datetime import UTC

from django.db import migrations
from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

COUNTERS = ("requests", "errors", "images", "sandbox_images", "failed", "credits_used")


def backfill_images(apps, schema_editor):
    """Images, sandbox images and failures per (owner, day created, key, template) from the
    images; and the credits billing 0008 rolled up under template "" moved to the template of
    the image they paid for, when that image still exists. Aggregate queries, bulk writes."""
    Image = apps.get_model("templates_app", "Image")
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    UsageDay = apps.get_model("billing", "UsageDay")
    new: dict[tuple, dict] = {}

    def row(*dims):
        return new.setdefault(dims, dict.fromkeys(COUNTERS, 0))

    images = (
        Image.objects.annotate(
            usage_day=TruncDate("created_at", tzinfo=UTC), usage_key=Coalesce(F("api_key__public_id"), Value(""))
        )
        .values("owner_id", "usage_day", "usage_key", "template_public_id")
        .annotate(
            images=Count("id"),
            sandbox_images=Count("id", filter=Q(sandbox=True)),
            failed=Count("id", filter=Q(status="failed")),
        )
        .order_by()
    )
    for found in images:
        counters = row(found["owner_id"], found["usage_day"], found["usage_key"], found["template_public_id"])
        for name in ("images", "sandbox_images", "failed"):
            counters[name] += found[name]

    # The same key expression as billing 0008, so the credits leave the row they were put in.
    charge = LedgerEntry.objects.filter(
        account_id=OuterRef("account_id"), kind="render", reference=OuterRef("reference")
    ).values("created_by")[:1]
    template = Image.objects.filter(public_id=OuterRef("reference")).values("template_public_id")[:1]
    credits = (
        LedgerEntry.objects.filter(kind__in=["render", "refund"])
        .annotate(
            charged_by=Case(
                When(kind="refund", then=Subquery(charge)), default=F("created_by"), output_field=CharField()
            ),
            usage_template=Subquery(template),
        )
        .filter(usage_template__isnull=False)
        .annotate(
            usage_day=TruncDate("created_at", tzinfo=UTC),
            usage_key=Case(
                When(charged_by__startswith="key_", then=F("charged_by")), default=Value(""), output_field=CharField()
            ),
        )
        .values("account__user_id", "usage_day", "usage_key", "usage_template")
        .annotate(spent=Sum("amount"))
        .order_by()
    )
    moved: dict[tuple, int] = {}
    for found in credits:
        dims = (found["account__user_id"], found["usage_day"], found["usage_key"])
        row(*dims, found["usage_template"])["credits_used"] -= found["spent"]
        moved[dims] = moved.get(dims, 0) - found["spent"]

    if moved:
        users = {dims[0] for dims in moved}
        untemplated = UsageDay.objects.filter(user_id__in=users, template="")
        changed = []
        for usage in untemplated.iterator():
            taken = moved.get((usage.user_id, usage.day, usage.key))
            if taken:
                usage.credits_used -= taken
                changed.append(usage)
        UsageDay.objects.bulk_update(changed, ["credits_used"], batch_size=1000)
        # A row that only held credits now moved to their templates holds nothing.
        UsageDay.objects.filter(pk__in=[usage.pk for usage in changed], **dict.fromkeys(COUNTERS, 0)).delete()

    # Image rows always name a template, and billing 0008 wrote only template "": no clash.
    UsageDay.objects.bulk_create(
        (
            UsageDay(user_id=user_id, day=day, key=key, template=template, **counters)
            for (user_id, day, key, template), counters in new.items()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_usage_days"),
        ("templates_app", "0008_webhooks_moved_to_their_app"),
    ]

    operations = [migrations.RunPython(backfill_images, migrations.RunPython.noop)]
