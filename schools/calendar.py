"""The district calendar of non-school days: the writes, each in one transaction. The presence
measurements of the district's schools follow through partners' signals, in the same transaction."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import NonSchoolDay

MAX_DAYS = 120


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
