from django.apps import AppConfig


class TurnaroundConfig(AppConfig):
    name = "turnaround"
    verbose_name = "Portal users and roles"

    def ready(self):
        # API tokens are revoked when their user's password changes or the user is deactivated
        # (tokens' receivers); the security log records sign-ins, tokens and role changes.
        from . import security, tokens  # noqa: F401

        security.connect()
