from django.apps import AppConfig


class TurnaroundConfig(AppConfig):
    name = "turnaround"
    verbose_name = "Portal users and roles"

    def ready(self):
        from . import security

        security.connect()
