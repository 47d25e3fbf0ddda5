"""The usage-alert banner on every dashboard page (docs/billing.md, "Usage alerts")."""

from django import template

from billing.models import BillingAccount

register = template.Library()


@register.inclusion_tag("dashboard/partials/usage_alert.html", takes_context=True)
def usage_alert_banner(context):
    """While this period's usage is past a chosen threshold, and the banner was not dismissed for it.

    One row read (the account, its plan and its period counter), no history."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"alert": None}
    # get(), not first(): first() would order by the user's e-mail, joining and sorting.
    try:
        account = BillingAccount.objects.select_related("plan").get(user=user)
    except BillingAccount.DoesNotExist:
        return {"alert": None}
    level = account.usage_alert_level()
    if not level:
        return {"alert": None}
    key = f"{account.period_started_at.isoformat()}:{level}"
    if request.session.get("usage_alert_dismissed") == key:
        return {"alert": None}
    return {
        "alert": {
            "key": key,
            "threshold": level,
            "used": account.used_this_period,
            "monthly": account.plan.monthly_credits,
        },
        "next": request.get_full_path(),
    }
