"""The district calendar: the school year, a district's first and last day of school in each, its
non-school days, and the instructional days of a span that follow from them (DESIGN.md,
"Instructional days").

The writes run each in one transaction. The presence measurements of the district's schools follow
non-school days through partners' signals, in the same transaction."""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import District, NonSchoolDay, SchoolYearCalendar

MAX_DAYS = 120

# A school year runs from 1 July to 30 June and is named by its first calendar year (2026 is
# 2026-27). A district that has not set its days of school has these: 25 August of the first
# calendar year, 15 June of the second.
DEFAULT_FIRST_DAY = (8, 25)
DEFAULT_LAST_DAY = (6, 15)


def school_year_of(day):
    """The school year a date falls in: 2026 for any date from 1 July 2026 to 30 June 2027."""
    return day.year if day.month >= 7 else day.year - 1


def school_year_start(day):
    """1 July of the school year a date falls in."""
    return date(school_year_of(day), 7, 1)


def school_year_bounds(school_year):
    """The first and last date of a school year: 1 July and the next 30 June."""
    return date(school_year, 7, 1), date(school_year + 1, 6, 30)


def school_year_label(school_year):
    """The school year as people write it: "2026-27"."""
    return f"{school_year}-{(school_year + 1) % 100:02d}"


def default_school_days(school_year):
    """The first and last day of school of a district that has not set them."""
    return date(school_year, *DEFAULT_FIRST_DAY), date(school_year + 1, *DEFAULT_LAST_DAY)


def school_days_by_year(district_id, school_years):
    """{school year: (first day, last day)} for a district, its own days where it set them, else the
    defaults. One query whatever the number of years."""
    school_years = list(school_years)
    set_days = {
        year: (first, last)
        for year, first, last in SchoolYearCalendar.objects.filter(
            district_id=district_id, school_year__in=school_years
        ).values_list("school_year", "first_day", "last_day")
    }
    return {year: set_days.get(year) or default_school_days(year) for year in school_years}


def school_days(district_id, school_year):
    """(first day, last day) of school of a district in one school year, its own or the defaults."""
    return school_days_by_year(district_id, [school_year])[school_year]


@dataclass(frozen=True)
class SchoolDays:
    """A district's first and last day of school in one school year, and whether they are the
    defaults (the district has not set them)."""

    district: District
    school_year: int
    first_day: date
    last_day: date
    is_default: bool

    @property
    def label(self):
        return school_year_label(self.school_year)


def school_days_seen_by(user, school_years):
    """The first and last days of school of every district the user sees, by district name and
    school year: the given school years and any other year the district has set. Two queries."""
    set_days = {
        (row.district_id, row.school_year): row for row in SchoolYearCalendar.objects.visible_to(user)
    }
    years_set = defaultdict(set)
    for district_id, year in set_days:
        years_set[district_id].add(year)
    listing = []
    for district in District.objects.visible_to(user).order_by("name", "pk"):
        for year in sorted(set(school_years) | years_set[district.pk]):
            row = set_days.get((district.pk, year))
            first, last = (row.first_day, row.last_day) if row else default_school_days(year)
            listing.append(SchoolDays(district, year, first, last, is_default=row is None))
    return listing


def weekdays_between(first, last):
    """The Mondays to Fridays from first to last, both included (0 when last is before first),
    counted without walking the days."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for offset in range(rest) if (start + offset) % 7 < 5)


class InstructionalCalendar:
    """The days of school and the non-school days of some districts over a run of school years,
    read once (two queries), to count the instructional days of any number of spans inside them."""

    def __init__(self, district_ids, first_school_year, last_school_year):
        district_ids = set(district_ids)
        years = range(first_school_year, last_school_year + 1)
        self.years = years
        set_days = {
            (district_id, year): (first, last)
            for district_id, year, first, last in SchoolYearCalendar.objects.filter(
                district_id__in=district_ids, school_year__in=list(years)
            ).values_list("district_id", "school_year", "first_day", "last_day")
        }
        self._school_days = {
            (district_id, year): set_days.get((district_id, year)) or default_school_days(year)
            for district_id in district_ids
            for year in years
        }
        # The weekdays each district closes, in date order (a non-school day on a weekend was
        # never a school day).
        self._closed = defaultdict(list)
        for district_id, day in (
            NonSchoolDay.objects.filter(
                district_id__in=district_ids,
                date__gte=school_year_bounds(first_school_year)[0],
                date__lte=school_year_bounds(last_school_year)[1],
            )
            .order_by("date")
            .values_list("district_id", "date")
        ):
            if day.weekday() < 5:
                self._closed[district_id].append(day)

    def days(self, district_id, start, end):
        """The instructional days of a district from start to end, both included: the weekdays
        between the first and last day of school of each school year the span touches, less the
        district's non-school days. No query."""
        if end < start:
            return 0
        if school_year_of(start) not in self.years or school_year_of(end) not in self.years:
            raise ValueError(f"{start} to {end} is outside the school years read")
        closed = self._closed[district_id]
        total = 0
        for year in range(school_year_of(start), school_year_of(end) + 1):
            first, last = self._school_days[(district_id, year)]
            first, last = max(first, start), min(last, end)
            if first <= last:
                total += weekdays_between(first, last)
                total -= bisect_right(closed, last) - bisect_left(closed, first)
        return total

    def last_day_of_school(self, district_id, start, end):
        """The latest last day of school of a district from start to end, both included; None
        where the span holds none."""
        for year in range(school_year_of(end), school_year_of(start) - 1, -1):
            last = self._school_days[(district_id, year)][1]
            if start <= last <= end:
                return last
        return None


def instructional_days(district_id, start, end):
    """The instructional days of a district from start to end, both included (DESIGN.md,
    "Instructional days"). A span may cross school years, each with its own days of school. Two
    queries whatever the span."""
    if end < start:
        return 0
    calendar = InstructionalCalendar([district_id], school_year_of(start), school_year_of(end))
    return calendar.days(district_id, start, end)


@transaction.atomic
def set_school_days(district, school_year, first_day, last_day):
    """Set a district's first and last day of school for one school year, replacing what it had
    set. Raises ValidationError naming the field at fault, and then writes nothing."""
    row = SchoolYearCalendar.objects.select_for_update().filter(
        district=district, school_year=school_year
    ).first() or SchoolYearCalendar(district=district, school_year=school_year)
    row.first_day, row.last_day = first_day, last_day
    row.full_clean()
    row.save()
    return row


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
