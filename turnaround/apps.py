from django.apps import AppConfig


class TurnaroundConfig(AppConfig):
    name = "turnaround"
    verbose_name = "Portal users and roles"

    def ready(self):
        # API tokens are revoked when their user's password changes or the user is deactivated.
        from . import tokens  # noqa: F401
