from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from billing.signals import credits_low
        from lib import scheduler
        from webhooks import services
        from webhooks.tasks import dispatch_webhooks

        scheduler.every(scheduler.EVERY_TICK, dispatch_webhooks)

        credits_low.connect(services.announce_low_credits, dispatch_uid="webhooks-credits-low")
