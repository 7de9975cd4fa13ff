"""Verification of the values Lead Partners report: district staff verify them or dispute them
with a reason; Lead Partner program staff answer a dispute with a correction or a comment. Each
step is recorded (MeasurementEvent) beside the value's provenance.

Who may do what follows DESIGN.md: district staff decide on their district's values, program
staff write their organization's schools' values; everyone else reads (within their scope)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.roles import viewer_for

from .imports import parse_value
from .models import EventKind, Measurement, MeasurementEvent, Source, Verification
from .write_rule import write_refusal

MAX_REASON = 2000


def can_verify(user):
    """District staff (for the values of their district's schools, which are all they see)."""
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_district


def can_answer(user):
    """Lead Partner program staff (for their organization's schools, which are all they see;
    `answer` applies the write rule of indicators/write_rule.py to the value)."""
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_program


def _text(text, what):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": f"Give {what}."})
    if len(text) > MAX_REASON:
        raise ValidationError({"text": f"At most {MAX_REASON} characters."})
    return text


def verify(user, measurement_ids):
    """Mark these values (ids, within the user's scope) verified. Returns how many changed;
    values already verified are left as they are."""
    if not can_verify(user):
        raise PermissionDenied("Only district staff verify values.")
    now = timezone.now()
    with transaction.atomic():
        measurements = list(
            Measurement.objects.visible_to(user)
            .filter(pk__in=measurement_ids)
            .exclude(verification=Verification.VERIFIED)
            .select_for_update()
            .only("pk")
        )
        ids = [m.pk for m in measurements]
        Measurement.objects.filter(pk__in=ids).update(
            verification=Verification.VERIFIED,
            dispute_reason="",
            verified_by=user,
            verified_at=now,
            updated_at=now,
        )
        MeasurementEvent.objects.bulk_create(
            [MeasurementEvent(measurement_id=pk, kind=EventKind.VERIFIED, user=user) for pk in ids]
        )
    return len(ids)


def dispute(user, measurement, reason):
    """Dispute one value, with the reason the Lead Partner will answer."""
    if not can_verify(user):
        raise PermissionDenied("Only district staff dispute values.")
    reason = _text(reason, "the reason for the dispute")
    now = timezone.now()
    with transaction.atomic():
        Measurement.objects.filter(pk=measurement.pk).update(
            verification=Verification.DISPUTED,
            dispute_reason=reason,
            verified_by=user,
            verified_at=now,
            updated_at=now,
        )
        MeasurementEvent.objects.create(
            measurement=measurement, kind=EventKind.DISPUTED, user=user, text=reason
        )
    measurement.refresh_from_db()
    return measurement


def answer(user, measurement, value="", comment=""):
    """Answer a dispute: a corrected value (back to reported, for the district to verify again;
    the statuses are recomputed) and/or a comment (the value stays disputed)."""
    if not can_answer(user):
        raise PermissionDenied("Only Lead Partner program staff answer disputes.")
    if measurement.verification != Verification.DISPUTED:
        raise ValidationError("Only a disputed value can be answered.")
    refusal = write_refusal(user, measurement.school, measurement.period_end)
    if refusal:
        raise PermissionDenied(refusal)
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise ValidationError({"comment": f"At most {MAX_REASON} characters."})
    corrected = None
    if str(value).strip():
        problems = []
        corrected = parse_value(
            value, measurement.indicator, lambda column, message: problems.append(message)
        )
        if problems:
            raise ValidationError({"value": problems})
    if corrected is None and not comment:
        raise ValidationError("Give a corrected value, a comment, or both.")
    with transaction.atomic():
        locked = Measurement.objects.select_for_update().get(pk=measurement.pk)
        if corrected is None:
            MeasurementEvent.objects.create(
                measurement=locked, kind=EventKind.COMMENTED, user=user, text=comment
            )
            return locked
        MeasurementEvent.objects.create(
            measurement=locked,
            kind=EventKind.CORRECTED,
            user=user,
            text=comment,
            old_value=locked.value,
            new_value=corrected,
        )
        locked.value = corrected
        locked.source = Source.FORM
        locked.supplied_by = user
        locked.verification = Verification.REPORTED
        locked.dispute_reason = ""
        locked.verified_by = None
        locked.verified_at = None
        # save() sends post_save: the contracts of the school are recomputed after commit.
        locked.save()
    return locked
