from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"

    def ready(self):
        from . import signals  # noqa: F401  connects the recompute triggers
