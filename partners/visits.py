"""Field visits: who may log, edit and delete them, the rules a visit must meet, and the writes.

The rules live here, not in a form, so that the pages' forms and an API serializer apply the same
ones: `check_visit` takes plain values and raises a ValidationError keyed by field.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.models import ON_THE_GROUND_STATUSES, ContractSchool
from schools.models import School
from turnaround.roles import viewer_for

from .models import FieldVisit, FollowUp, Organization, VisitFocus

MAX_MINUTES = 24 * 60


def can_log_visits(user):
    """Lead Partner field and program staff log visits for their organization."""
    return viewer_for(user).is_partner


def loggable_schools(user):
    """The schools a user may log a visit at: those under a contract of their organization whose
    Lead Partner is on the ground (active, probation, renewed)."""
    viewer = viewer_for(user)
    if not viewer.is_partner:
        return School.objects.none()
    links = ContractSchool.objects.filter(
        contract__lead_partner_id=viewer.organization_id,
        contract__lifecycle_status__in=ON_THE_GROUND_STATUSES,
    )
    return School.objects.filter(pk__in=links.values("school_id"))


def contract_start(school):
    """The start date of the contract on the ground at a school (None if there is none)."""
    return (
        ContractSchool.objects.filter(school=school, contract__lifecycle_status__in=ON_THE_GROUND_STATUSES)
        .values_list("contract__start_date", flat=True)
        .first()
    )


def edit_deadline(visit):
    """Until when the author may edit or delete a visit: the organization's window after logging."""
    return visit.created_at + timedelta(days=visit.organization.visit_edit_window_days)


def can_edit(visit, user, now=None):
    """Only the author, only within the organization's edit window, only while still on its staff."""
    viewer = viewer_for(user)
    now = now or timezone.now()
    return (
        viewer.is_partner
        and visit.staff_id == user.pk
        and visit.organization_id == viewer.organization_id
        and visit.created_at is not None
        and now <= edit_deadline(visit)
    )


def last_school(user):
    """The school of the user's latest visit, if they may still log visits there."""
    latest = (
        FieldVisit.objects.filter(staff=user, school__in=loggable_schools(user))
        .order_by("-visit_date", "-created_at")
        .values_list("school_id", flat=True)
        .first()
    )
    return latest


def minutes_between(start_time, end_time):
    day = timezone.localdate()
    return int((datetime.combine(day, end_time) - datetime.combine(day, start_time)).total_seconds() // 60)


def check_visit(
    user,
    *,
    school,
    visit_date,
    mode,
    focus,
    start_time=None,
    end_time=None,
    duration_minutes=None,
    today=None,
):
    """The duration in minutes of a valid visit, or a ValidationError with a message per field.

    Start and end times give the duration; without them the duration must be given."""
    today = today or timezone.localdate()
    errors = {}
    if school is not None and not loggable_schools(user).filter(pk=school.pk).exists():
        errors["school"] = "Choose one of your organization's schools under a contract in force."
    if visit_date is not None:
        if visit_date > today:
            errors["visit_date"] = "A visit cannot be logged ahead of its date."
        elif school is not None and "school" not in errors:
            start = contract_start(school)
            if start and visit_date < start:
                errors["visit_date"] = f"The contract at {school.name} starts on {start:%Y-%m-%d}."
    if mode not in ("on_site", "remote"):
        errors["mode"] = "Choose on site or remote."
    unknown = [f for f in focus or [] if f not in VisitFocus.values]
    if not focus:
        errors["focus"] = "Choose at least one focus."
    elif unknown:
        errors["focus"] = f"Unknown focus: {', '.join(map(str, unknown))}."
    if (start_time is None) != (end_time is None):
        errors["end_time" if end_time is None else "start_time"] = (
            "Give both the start and the end time, or only a duration."
        )
    elif start_time is not None:
        if end_time <= start_time:
            errors["end_time"] = "The visit must end after it starts."
        else:
            duration_minutes = minutes_between(start_time, end_time)
    elif not duration_minutes:
        errors["duration_minutes"] = "Give the start and end time, or the duration."
    in_day = duration_minutes is None or 0 < duration_minutes <= MAX_MINUTES
    if not in_day and "duration_minutes" not in errors:
        errors["duration_minutes"] = f"A visit lasts between 1 and {MAX_MINUTES} minutes."
    if errors:
        raise ValidationError(errors)
    return duration_minutes


def check_follow_up(visit_date, due_on):
    """A follow-up is due on or after the visit."""
    if visit_date and due_on and due_on < visit_date:
        raise ValidationError({"due_on": "The due date is before the visit."})


@transaction.atomic
def save_visit(visit, user, follow_ups=None):
    """Save a visit checked by `check_visit` (new: logged by `user` for their organization) and its
    follow-ups (a saved-later inline formset or None), in one transaction. The presence
    measurements follow through the signals, in the same transaction."""
    if visit.pk is None:
        visit.staff = user
        visit.organization_id = viewer_for(user).organization_id
    elif not can_edit(visit, user):
        raise PermissionError("This visit can no longer be edited by you.")
    visit.full_clean(exclude=["staff", "organization", "corrects"])
    visit.save()
    if follow_ups is not None:
        follow_ups.instance = visit
        follow_ups.save()
    return visit


@transaction.atomic
def delete_visit(visit, user):
    if not can_edit(visit, user):
        raise PermissionError("This visit can no longer be deleted by you.")
    visit.delete()


def can_set_edit_window(user):
    """Program staff set their organization's edit window."""
    return viewer_for(user).is_program


@transaction.atomic
def set_edit_window(user, days):
    viewer = viewer_for(user)
    if not viewer.is_program:
        raise PermissionError("Only program staff set the edit window.")
    if not 0 <= days <= 90:
        raise ValidationError({"visit_edit_window_days": "Between 0 (no edits) and 90 days."})
    organization = Organization.objects.select_for_update().get(pk=viewer.organization_id)
    if organization.visit_edit_window_days != days:
        organization.visit_edit_window_days = days
        organization.save(update_fields=["visit_edit_window_days"])  # through save: in the history


def can_close_follow_up(follow_up, user):
    """Lead Partner staff of the visit's organization close its follow-ups."""
    viewer = viewer_for(user)
    return viewer.is_partner and follow_up.visit.organization_id == viewer.organization_id


@transaction.atomic
def close_follow_up(follow_up, user, note, done_on=None):
    note = (note or "").strip()
    if not can_close_follow_up(follow_up, user):
        raise PermissionError("Only your organization's staff close its follow-ups.")
    if follow_up.done_on:
        raise ValidationError({"closing_note": "This follow-up is already closed."})
    if not note:
        raise ValidationError({"closing_note": "Say what was done to close it."})
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "A follow-up cannot be closed ahead of time."})
    closed = FollowUp.objects.filter(pk=follow_up.pk, done_on__isnull=True).update(
        done_on=done_on, closing_note=note, closed_by=user
    )
    follow_up.refresh_from_db()
    if closed:  # the update bypasses save(): its history row is written here
        FollowUp.history.bulk_history_create([follow_up], update=True, default_user=user)
    return follow_up
