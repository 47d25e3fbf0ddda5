from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Templates and images"

    def ready(self) -> None:
        from billing.signals import credits_low
        from templates_app import webhooks

        credits_low.connect(webhooks.announce_low_credits, dispatch_uid="webhooks-credits-low")
