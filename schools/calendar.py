"""The district calendar: the school year, and the non-school days.

The writes run each in one transaction. The presence measurements of the district's schools follow
non-school days through partners' signals, in the same transaction."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import NonSchoolDay

MAX_DAYS = 120


# A school year runs from 1 July to 30 June and is named by its first calendar year (2026 is
# 2026-27).
def school_year_of(day):
    """The school year a date falls in: 2026 for any date from 1 July 2026 to 30 June 2027."""
    return day.year if day.month >= 7 else day.year - 1


def school_year_start(day):
    """1 July of the school year a date falls in."""
    return date(school_year_of(day), 7, 1)


@transaction.atomic
def add_non_school_days(district, first, last, description):
    """Mark the weekdays from first to last (inclusive) as non-school days; days already marked
    keep their description. Returns the days created."""
    last = last or first
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "Say why the schools are closed (e.g. Thanksgiving break)."
    if last < first:
        errors["last_day"] = "The last day is before the first."
    elif (last - first).days + 1 > MAX_DAYS:
        errors["last_day"] = f"Mark at most {MAX_DAYS} days at once."
    if errors:
        raise ValidationError(errors)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    if not weekdays:
        raise ValidationError({"first_day": "Weekends are never school days: choose at least one weekday."})
    taken = set(
        NonSchoolDay.objects.filter(district=district, date__in=weekdays).values_list("date", flat=True)
    )
    created = []
    for day in weekdays:
        if day not in taken:
            # One by one, so that each day's presence weeks are recomputed through the signals.
            created.append(NonSchoolDay.objects.create(district=district, date=day, description=description))
    return created


@transaction.atomic
def remove_non_school_day(day):
    day.delete()
