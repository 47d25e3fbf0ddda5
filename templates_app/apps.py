from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Templates and images"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from lib import scheduler
        from templates_app import deletion

        deletion.connect(get_user_model())
        from templates_app.tasks import fail_stuck_renders

        scheduler.every(scheduler.EVERY_TICK, fail_stuck_renders)
