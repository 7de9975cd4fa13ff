"""Celery task of field presence: each night, the presence of the current and the previous week of
every school under a contract on the ground, so that a week without any visit reads 0% (the visit
and calendar writes only touch the weeks they change)."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import presence


@shared_task(name="partners.refresh_recent_presence", acks_late=True)
def refresh_recent_presence():
    today = timezone.localdate()
    with transaction.atomic():
        written = presence.rebuild_presence(today - timedelta(days=7), today, today=today)
    return {"written": written}
