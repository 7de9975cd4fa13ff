"""Changes that make statuses stale schedule a recompute of the contracts they touch: values,
targets, contracts and their schools, and the district calendar (its days of school and non-school
days pro-rate the sums of a year under way).

Single saves and deletes come through these signals; bulk writes (the measurement import) call
tasks.schedule_recompute themselves, once per file."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from contracts.models import ContractSchool, PerformanceContract, Target
from schools.models import NonSchoolDay, SchoolYearCalendar

from . import engine
from .models import Measurement
from .tasks import schedule_recompute


def contracts_of_schools(school_ids):
    return (
        ContractSchool.objects.filter(school_id__in=school_ids)
        .order_by("contract_id")  # not the default ordering, whose columns would defeat distinct()
        .values_list("contract_id", flat=True)
        .distinct()
    )


@receiver([post_save, post_delete], sender=Measurement, dispatch_uid="recompute-on-measurement")
def measurement_changed(sender, instance, **kwargs):
    schedule_recompute(contracts_of_schools([instance.school_id]))


@receiver([post_save, post_delete], sender=Target, dispatch_uid="recompute-on-target")
def target_changed(sender, instance, **kwargs):
    schedule_recompute([instance.contract_id])


@receiver(post_save, sender=PerformanceContract, dispatch_uid="recompute-on-contract")
def contract_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule_recompute([instance.pk])


@receiver([post_save, post_delete], sender=ContractSchool, dispatch_uid="recompute-on-contract-school")
def contract_schools_changed(sender, instance, **kwargs):
    schedule_recompute([instance.contract_id])


@receiver([post_save, post_delete], sender=SchoolYearCalendar, dispatch_uid="recompute-on-school-days")
@receiver([post_save, post_delete], sender=NonSchoolDay, dispatch_uid="recompute-on-non-school-day")
def calendar_changed(sender, instance, raw=False, **kwargs):
    """The instructional days of the district's contracts changed."""
    if not raw:
        schedule_recompute(
            PerformanceContract.objects.filter(district_id=instance.district_id).values_list("pk", flat=True)
        )


@receiver(pre_delete, sender=PerformanceContract, dispatch_uid="lock-contract-on-delete")
def contract_deleting(sender, instance, **kwargs):
    """A contract's deletion takes the engine's lock of the contract before anything is deleted:
    it waits for a recompute that is writing the contract's statuses, then deletes them, and a
    recompute that starts meanwhile waits, then finds no contract. The status table has no
    foreign key that would refuse the rows of a deleted contract (indicators.models)."""
    engine.lock_contracts([instance.pk])
