from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self):
        from . import signals  # noqa: F401  keeps the field presence measurements up to date
