"""Writes that span several rows of a contract. Each runs in one transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    ALLOWED_TRANSITIONS,
    CLOSED_STATUSES,
    IN_FORCE_STATUSES,
    AutonomyItem,
    ContractAutonomy,
    ContractResponsibility,
    ContractSchool,
    ContractStatusChange,
    PerformanceContract,
    PreLaunchChecklistItem,
    PreLaunchTask,
    ResponsibilityItem,
)


@transaction.atomic
def create_contract(*, created_by=None, schools=None, **fields):
    """A new draft contract for a cluster, with the cluster's schools (or `schools`), the autonomy
    catalog (nothing granted yet), the responsibility split from the template (the items either
    side could own left undecided) and the pre-launch checklist. Validates the contract first."""
    contract = PerformanceContract(**fields)
    contract.full_clean()
    contract.save()
    schools = list(schools) if schools is not None else list(contract.cluster.schools.all())
    outside = [s.name for s in schools if s.district_id != contract.district_id]
    if outside:
        raise ValidationError({"schools": f"Not in the contract's district: {', '.join(outside)}."})
    ContractSchool.objects.bulk_create([ContractSchool(contract=contract, school=s) for s in schools])
    ContractAutonomy.objects.bulk_create(
        [ContractAutonomy(contract=contract, item=item) for item in AutonomyItem.objects.all()]
    )
    ContractResponsibility.objects.bulk_create(
        [
            ContractResponsibility(contract=contract, item=item, owner=item.default_owner)
            for item in ResponsibilityItem.objects.all()
        ]
    )
    PreLaunchChecklistItem.objects.bulk_create(
        [PreLaunchChecklistItem(contract=contract, task=task) for task in PreLaunchTask.values]
    )
    ContractStatusChange.objects.create(
        contract=contract,
        from_status="",
        to_status="draft",
        changed_by=created_by,
        changed_at=timezone.now(),
        effective_on=timezone.localdate(),
        reason="Contract drafted.",
    )
    return contract


def allowed_next_statuses(contract):
    return sorted(ALLOWED_TRANSITIONS[contract.lifecycle_status])


@transaction.atomic
def transition_contract(contract, to_status, *, user=None, reason, effective_on: date | None = None):
    """Move a contract along one allowed edge of its lifecycle and record who, when and why.

    Keeps the contract's schools' in-force flags in step, so the database refuses a school that is
    already under another contract in force. Raises ValidationError with a clear message."""
    contract = PerformanceContract.objects.select_for_update().get(pk=contract.pk)
    current = contract.lifecycle_status
    if to_status not in ALLOWED_TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(current, set()))) or "none"
        raise ValidationError(
            {"lifecycle_status": f"A {current} contract cannot become {to_status} (allowed: {allowed})."}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the status changes."})
    effective_on = effective_on or timezone.localdate()
    change = ContractStatusChange.objects.create(
        contract=contract,
        from_status=current,
        to_status=to_status,
        changed_by=user,
        changed_at=timezone.now(),
        effective_on=effective_on,
        reason=reason.strip(),
    )
    contract.lifecycle_status = to_status
    if to_status in CLOSED_STATUSES:
        contract.ended_on = effective_on
    contract.save(update_fields=["lifecycle_status", "ended_on", "updated_at"])
    in_force = to_status in IN_FORCE_STATUSES
    if in_force:
        _claim_schools(contract)
    else:
        contract.school_links.update(in_force=False)
    return change


def _claim_schools(contract):
    """Mark the contract's schools in force; a school under another contract in force is refused."""
    clashes = (
        ContractSchool.objects.filter(school__in=contract.school_links.values("school_id"), in_force=True)
        .exclude(contract=contract)
        .select_related("school", "contract")
    )
    if clashes:
        names = "; ".join(f"{c.school} is under {c.contract}" for c in clashes)
        raise ValidationError({"schools": f"A school can be in only one contract in force: {names}."})
    try:
        with transaction.atomic():
            contract.school_links.update(in_force=True)
    except IntegrityError as exc:  # a concurrent transition claimed a school first
        raise ValidationError(
            {"schools": "A school of this contract was just put under another contract."}
        ) from exc
