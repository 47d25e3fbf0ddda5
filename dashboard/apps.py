from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Every server-rendered page for signed-in users (docs/dashboard.md). It calls the
    domain apps' functions, like api/ does; no app imports it."""

    name = "dashboard"
    verbose_name = "Dashboard"
