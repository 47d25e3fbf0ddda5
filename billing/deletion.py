"""What deleting an account does to its money (docs/billing.md, "Deleting an account")."""

from django.db.models.signals import pre_delete

from billing.models import BillingAccount, Payment


def before_account_deleted(sender, instance: BillingAccount, **kwargs) -> None:
    """Stop any Stripe subscription, and keep the payments with an opaque label instead of the account."""
    if instance.subscriptions.exists():
        from billing import stripe_billing  # Stripe's client only where it is needed

        stripe_billing.cancel_now(instance)
    Payment.objects.filter(account=instance).update(former_account=f"deleted-account-{instance.pk}")


def connect() -> None:
    pre_delete.connect(before_account_deleted, sender=BillingAccount, dispatch_uid="billing-account-deleted")
