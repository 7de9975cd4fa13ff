"""Visits and the district calendar keep the field presence measurements up to date, inside the
transaction that changes them (admin, pages and API alike). Bulk updates that bypass signals must
call presence.refresh_presence themselves; `manage.py rebuild_presence` repairs a date range."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from schools.models import NonSchoolDay, School

from .models import FieldVisit
from .presence import request_refresh


@receiver(pre_save, sender=FieldVisit, dispatch_uid="presence-visit-before")
def remember_visit_before(sender, instance, raw=False, **kwargs):
    instance._presence_before = (
        FieldVisit.objects.filter(pk=instance.pk).values_list("school_id", "visit_date").first()
        if instance.pk and not raw
        else None
    )


@receiver(post_save, sender=FieldVisit, dispatch_uid="presence-visit-saved")
def visit_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_presence_before", None)
    if before and before != (instance.school_id, instance.visit_date):
        request_refresh([before[0]], before[1], before[1])
    request_refresh([instance.school_id], instance.visit_date, instance.visit_date)


@receiver(post_delete, sender=FieldVisit, dispatch_uid="presence-visit-deleted")
def visit_deleted(sender, instance, **kwargs):
    request_refresh([instance.school_id], instance.visit_date, instance.visit_date)


@receiver(pre_save, sender=NonSchoolDay, dispatch_uid="presence-calendar-before")
def remember_day_before(sender, instance, raw=False, **kwargs):
    instance._presence_before = (
        NonSchoolDay.objects.filter(pk=instance.pk).values_list("district_id", "date").first()
        if instance.pk and not raw
        else None
    )


def _refresh_district(district_id, day):
    request_refresh(School.objects.filter(district_id=district_id).values_list("pk", flat=True), day, day)


@receiver(post_save, sender=NonSchoolDay, dispatch_uid="presence-calendar-saved")
def day_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_presence_before", None)
    if before and before != (instance.district_id, instance.date):
        _refresh_district(*before)
    _refresh_district(instance.district_id, instance.date)


@receiver(post_delete, sender=NonSchoolDay, dispatch_uid="presence-calendar-deleted")
def day_deleted(sender, instance, **kwargs):
    _refresh_district(instance.district_id, instance.date)
