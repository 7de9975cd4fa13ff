from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The home page of every user (their contracts at a glance) and the exports built on it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
