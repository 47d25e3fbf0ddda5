from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from accounts.signup import signed_up
        from billing import deletion, ledger

        deletion.connect()
        from billing.tasks import prune_request_log, renew_periods
        from lib import scheduler

        scheduler.every(scheduler.EVERY_TICK, renew_periods)
        scheduler.every(scheduler.DAY, prune_request_log)

        # A new user starts with a credit balance on the default plan.
        signed_up.connect(
            lambda sender, user, **kwargs: ledger.open_account(user), dispatch_uid="billing-open-account", weak=False
        )
