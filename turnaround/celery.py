"""The Celery app. Settings come from Django's, under the CELERY_ namespace.

With no broker configured (CELERY_BROKER_URL unset) tasks run in-process, so the portal works
with no services at all; see settings.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnaround.settings")

app = Celery("turnaround")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
