from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from accounts.signup import forward_allauth_sign_up

        user_signed_up.connect(forward_allauth_sign_up, dispatch_uid="accounts-signed-up")

        from accounts.tasks import prune_idempotency_records
        from lib import scheduler

        scheduler.every(scheduler.DAY, prune_idempotency_records)
