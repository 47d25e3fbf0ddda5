"""Background work of billing, run by the task worker (Django Tasks API)."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task

from billing import plans, usage
from billing.models import BillingAccount
from billing.signals import credits_low


@task()
def renew_periods() -> int:
    """Start new billing periods for accounts whose period ended (scheduled)."""
    return plans.renew_due_periods()


@task()
def prune_request_log() -> int:
    return usage.prune_request_log()


def _mail_owner(account: BillingAccount, *, subject: str, message: str) -> None:
    """One e-mail to the account's owner (Django's mail: the console backend unless EMAIL_URL is set)."""
    send_mail(
        subject=subject, message=message, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[account.user.email]
    )


@task()
def notify_low_balance(account_id: int) -> None:
    """E-mail the owner that the balance is low, and announce it to webhook subscribers."""
    account = BillingAccount.objects.select_related("user", "plan").get(pk=account_id)
    _mail_owner(
        account,
        subject="Your Imagior credits are running low",
        message=(
            f"Your balance is {account.balance} credits, below 10% of the {account.plan.monthly_credits} "
            f"monthly credits of the {account.plan.name} plan. The plan refills on "
            f"{account.period_ends_at:%Y-%m-%d}; you can buy more credits or upgrade in the dashboard."
        ),
    )
    credits_low.send(sender=BillingAccount, account=account)


@task()
def notify_usage_alert(account_id: int, threshold: int) -> None:
    """E-mail the owner that this period's usage reached `threshold` % of the plan's credits (a chosen alert)."""
    account = BillingAccount.objects.select_related("user", "plan").get(pk=account_id)
    monthly = account.plan.monthly_credits
    _mail_owner(
        account,
        subject=f"You have used {threshold}% of this period's Imagior credits",
        message=(
            f"Renders this period have used {account.used_this_period:,} of the {monthly:,} monthly credits "
            f"of the {account.plan.name} plan ({threshold}% alert). Your balance is {account.balance:,} credits; "
            f"the plan refills on {account.period_ends_at:%Y-%m-%d}. You can buy more credits or upgrade in the "
            "dashboard, and choose which alerts you get on your profile page."
        ),
    )
