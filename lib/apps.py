from django.apps import AppConfig


class LibConfig(AppConfig):
    """Plumbing; an app only so that `manage.py run_scheduler` is found."""

    name = "lib"
    verbose_name = "Plumbing"
