"""Presence coverage: per school and ISO week, the distinct school days with an on-site field visit,
against the expected 5 less the district's non-school days; and the weekly field presence
measurements it feeds to the indicator engine.

Coverage is one grouped query over the visits and the district calendars (see `coverage`), never
a loop over visits. The measurements (indicator `field_presence_rate`, source "computed", one per
school and complete week, period Monday to Friday) are upserted by `refresh_presence`, which the
visit and calendar signals call inside the transaction that changed them, and which schedules the
recompute of the contracts whose values changed.
"""

import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Value
from django.db.models.functions import TruncWeek
from django.utils import timezone

from contracts.models import ON_THE_GROUND_STATUSES, ContractSchool
from indicators.models import FIELD_PRESENCE, MEASUREMENT_KEY, Indicator, Measurement, Source, StudentGroup
from indicators.signals import contracts_of_schools
from indicators.tasks import schedule_recompute
from schools.models import NonSchoolDay, School

from .models import FieldVisit, VisitMode

PRESENCE_INDICATOR = FIELD_PRESENCE
SCHOOL_DAYS_A_WEEK = 5
# A school is flagged when it has fewer on-site days than this (or than its school days, in a
# short week) two complete weeks running.
ALERT_BELOW_DAYS = 4
ALERT_WEEKS = 2
HEATMAP_WEEKS = 10


def week_start(day):
    """The Monday of the ISO week of a date."""
    return day - timedelta(days=day.weekday())


def last_complete_week(today):
    """The Monday of the latest week whose school days (Monday to Friday) are all past."""
    this_week = week_start(today)
    return this_week if today.weekday() >= SCHOOL_DAYS_A_WEEK else this_week - timedelta(days=7)


def weeks_between(first_week, last_week):
    weeks, week = [], first_week
    while week <= last_week:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Cell:
    """One school's presence in one ISO week."""

    week: date
    days: int  # distinct school days with an on-site visit
    expected: int  # school days in the week: 5 less the district's non-school weekdays
    in_progress: bool = False
    before_start: bool = False  # the week ended before the school's contract started

    @property
    def percent(self):
        """Share of the week's school days with on-site presence; None in a week without school."""
        if self.expected <= 0:
            return None
        return round(100.0 * self.days / self.expected, 1)

    @property
    def under(self):
        """Fewer on-site days than expected of a full week (4), or than a short week's school days."""
        if self.before_start or self.expected <= 0:
            return False
        return self.days < min(ALERT_BELOW_DAYS, self.expected)

    @property
    def level(self):
        """A word for the heatmap's colour."""
        if self.before_start:
            return "before-start"
        if self.expected <= 0:
            return "no-school"
        if self.days >= self.expected:
            return "full"
        if not self.under:
            return "good"
        if self.days * 2 >= self.expected:
            return "low"
        return "none"


def coverage(school_ids, first_week, last_week, today=None):
    """{(school id, week Monday): Cell} for every school (ids) and ISO week from first_week to
    last_week (Mondays), from coverage_counts."""
    today = today or timezone.localdate()
    school_ids = list(school_ids)
    visited, closed = coverage_counts(school_ids, first_week, last_week)
    current = week_start(today)
    return {
        (school_id, week): Cell(
            week=week,
            days=visited[school_id, week],
            expected=SCHOOL_DAYS_A_WEEK - closed[school_id, week],
            in_progress=week == current,
        )
        for school_id in school_ids
        for week in weeks_between(first_week, last_week)
    }


def coverage_counts(schools, first_week, last_week):
    """Two {(school id, week Monday): n} maps (missing: 0): the distinct school days with an
    on-site visit, and the district's non-school weekdays, for the schools (ids, or a queryset of
    ids) and ISO weeks from first_week to last_week. One query: the visits counted as distinct
    dates per school and week, together (UNION ALL) with the non-school weekdays."""
    school_ids = schools
    last_day = last_week + timedelta(days=SCHOOL_DAYS_A_WEEK - 1)
    closed_that_day = NonSchoolDay.objects.filter(
        district_id=OuterRef("school__district_id"), date=OuterRef("visit_date")
    )
    visit_days = (
        FieldVisit.objects.filter(
            school_id__in=school_ids,
            mode=VisitMode.ON_SITE,
            visit_date__gte=first_week,
            visit_date__lte=last_day,
            visit_date__iso_week_day__lte=SCHOOL_DAYS_A_WEEK,
        )
        .filter(~Exists(closed_that_day))
        .annotate(
            kind=Value(1, output_field=IntegerField()), place=F("school_id"), week=TruncWeek("visit_date")
        )
        .values("kind", "place", "week")
        .annotate(n=Count("visit_date", distinct=True))
        .order_by()
    )
    closed_days = (
        School.objects.filter(
            pk__in=school_ids,
            district__non_school_days__date__gte=first_week,
            district__non_school_days__date__lte=last_day,
            district__non_school_days__date__iso_week_day__lte=SCHOOL_DAYS_A_WEEK,
        )
        .annotate(
            kind=Value(2, output_field=IntegerField()),
            place=F("pk"),
            week=TruncWeek("district__non_school_days__date"),
        )
        .values("kind", "place", "week")
        .annotate(n=Count("district__non_school_days__date", distinct=True))
        .order_by()
    )
    visited, closed = defaultdict(int), defaultdict(int)
    for kind, school_id, week, n in visit_days.union(closed_days, all=True).values_list(
        "kind", "place", "week", "n"
    ):
        week = _as_date(week)
        (visited if kind == 1 else closed)[school_id, week] = n
    return visited, closed


def _as_date(value):
    """TruncWeek gives a date on PostgreSQL; through a UNION, SQLite may give text or a datetime."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


def grid(schools, weeks=HEATMAP_WEEKS, today=None, start=None):
    """The heatmap: schools by the last `weeks` ISO weeks (the current one last). A week that
    ended before the school's contract started expects nothing: `start` is that date for every
    school (one contract's page); by default each school's is the earliest start of its contracts
    on the ground.

    Three queries: the schools, their starts (none when `start` is given), and `coverage`."""
    today = today or timezone.localdate()
    last_week = week_start(today)
    first_week = last_week - timedelta(days=7 * (weeks - 1))
    schools = list(schools.order_by("name"))
    if start is not None:
        starts = {school.pk: start for school in schools}
    else:
        starts = dict(
            ContractSchool.objects.filter(
                school__in=[s.pk for s in schools], contract__lifecycle_status__in=ON_THE_GROUND_STATUSES
            )
            .values("school_id")
            .annotate(start=Min("contract__start_date"))
            .values_list("school_id", "start")
        )
    cells = coverage([s.pk for s in schools], first_week, last_week, today=today)
    columns = weeks_between(first_week, last_week)
    rows = []
    for school in schools:
        start = starts.get(school.pk)
        row = [
            replace(cell, before_start=True) if start and cell.week + timedelta(days=4) < start else cell
            for cell in (cells[school.pk, week] for week in columns)
        ]
        complete = [c for c in row if not c.in_progress and not c.before_start]
        rows.append({"school": school, "cells": row, "alert": _alert(complete)})
    return {"weeks": columns, "rows": rows, "today": today}


def _alert(complete_cells):
    """True when the last ALERT_WEEKS complete weeks are all under."""
    recent = complete_cells[-ALERT_WEEKS:]
    return len(recent) == ALERT_WEEKS and all(cell.under for cell in recent)


def on_the_ground_schools():
    """Schools under a contract whose Lead Partner is on the ground (active, probation, renewed)."""
    return School.objects.filter(
        contract_links__contract__lifecycle_status__in=ON_THE_GROUND_STATUSES
    ).distinct()


def under_covered_count(schools, today=None, limit=None):
    """The schools (with their last complete weeks' cells) under the expected presence for
    ALERT_WEEKS complete weeks running, among those whose contract had started by then, by name
    (at most `limit` of them), and how many there are in all. Counts only for every school in
    scope (a state's thousands); cells and rows for those listed."""
    today = today or timezone.localdate()
    last_week = week_start(today) - timedelta(days=7)
    first_week = last_week - timedelta(days=7 * (ALERT_WEEKS - 1))
    started = ContractSchool.objects.filter(
        contract__lifecycle_status__in=ON_THE_GROUND_STATUSES, contract__start_date__lte=first_week
    ).values("school_id")
    in_scope = schools.filter(pk__in=started)
    visited, closed = coverage_counts(in_scope.values("pk"), first_week, last_week)
    weeks = weeks_between(first_week, last_week)

    def under(pk, week):
        return Cell(week=week, days=visited[pk, week], expected=SCHOOL_DAYS_A_WEEK - closed[pk, week]).under

    ids = in_scope.order_by("name", "pk").values_list("pk", flat=True)
    flagged = [pk for pk in ids if len(weeks) == ALERT_WEEKS and all(under(pk, week) for week in weeks)]
    shown = flagged[:limit] if limit is not None else flagged
    by_pk = School.objects.in_bulk(shown)
    cells = coverage(shown, first_week, last_week, today=today)
    return [{"school": by_pk[pk], "cells": [cells[pk, week] for week in weeks]} for pk in shown], len(flagged)


# measurements ------------------------------------------------------------------------------------
def presence_indicator():
    return Indicator.objects.get(code=PRESENCE_INDICATOR)


def refresh_presence(school_ids, first_day, last_day, today=None):
    """Upsert the weekly field presence measurements of these schools for the ISO weeks from
    first_day's to last_day's, for the weeks each school is under a contract on the ground. Only
    complete weeks (Friday past) get a value: a week under way would read low until it ends (the
    nightly task writes it once it has). A week without school days has no value. Unchanged rows are not
    written. Schedules a recompute of the contracts whose schools' values changed. Call it inside
    the transaction that changed the visits or the calendar. Returns the number of rows written
    or deleted."""
    today = today or timezone.localdate()
    school_ids = set(school_ids)
    first_week = week_start(first_day)
    last_week = min(week_start(last_day), last_complete_week(today))
    if not school_ids or last_week < first_week:
        return 0
    # The weeks each school is under a contract on the ground: from the week of its start to the
    # week of its end.
    terms = defaultdict(list)
    for school_id, start, end in ContractSchool.objects.filter(
        school_id__in=school_ids, contract__lifecycle_status__in=ON_THE_GROUND_STATUSES
    ).values_list("school_id", "contract__start_date", "contract__end_date"):
        terms[school_id].append((week_start(start), week_start(end)))
    if not terms:
        return 0
    indicator = presence_indicator()
    cells = coverage(list(terms), first_week, last_week, today=today)
    wanted = {}
    for (school_id, week), cell in cells.items():
        if cell.percent is None:
            continue
        if any(start <= week <= end for start, end in terms[school_id]):
            wanted[school_id, week] = cell.percent
    # Plain tuples, not model instances: a rebuild compares tens of thousands of rows.
    existing = {
        (school_id, week): (pk, value, source)
        for pk, school_id, week, value, source in Measurement.objects.filter(
            indicator=indicator,
            school_id__in=list(terms),
            period_start__gte=first_week,
            period_start__lte=last_week,
            student_group=StudentGroup.ALL,
        ).values_list("pk", "school_id", "period_start", "value", "source")
    }
    now = timezone.now()
    to_write = [
        Measurement(
            school_id=school_id,
            indicator=indicator,
            period_start=week,
            period_end=week + timedelta(days=SCHOOL_DAYS_A_WEEK - 1),
            student_group=StudentGroup.ALL,
            value=value,
            source=Source.COMPUTED,
            supplied_by=None,
            created_at=now,
            updated_at=now,
        )
        for (school_id, week), value in wanted.items()
        if existing.get((school_id, week), (None, None, None))[1:] != (value, Source.COMPUTED)
    ]
    stale = {key: row[0] for key, row in existing.items() if key not in wanted}
    if to_write:
        Measurement.objects.bulk_create(
            to_write,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=list(MEASUREMENT_KEY),
            update_fields=["value", "source", "supplied_by", "import_batch", "updated_at"],
        )
    if stale:
        Measurement.objects.filter(pk__in=stale.values()).delete()
    changed = {m.school_id for m in to_write} | {school_id for school_id, _ in stale}
    if changed:
        schedule_recompute(contracts_of_schools(changed))
    return len(to_write) + len(stale)


_batch = threading.local()


def request_refresh(school_ids, first_day, last_day):
    """Refresh now, or at the end of the enclosing `batched()` block."""
    pending = getattr(_batch, "pending", None)
    if pending is None:
        refresh_presence(school_ids, first_day, last_day)
        return
    pending["schools"].update(school_ids)
    pending["first"] = min(filter(None, [pending["first"], first_day]))
    pending["last"] = max(filter(None, [pending["last"], last_day]))


@contextmanager
def batched(today=None):
    """Many visit or calendar writes, one refresh at the end (over the union of their schools and
    the span of their dates): bulk loads, and the demo, which also sets the day it is built for."""
    if getattr(_batch, "pending", None) is not None:
        yield
        return
    _batch.pending = pending = {"schools": set(), "first": None, "last": None}
    try:
        yield
    finally:
        _batch.pending = None
    if pending["schools"]:
        refresh_presence(pending["schools"], pending["first"], pending["last"], today=today)


def rebuild_presence(first_day, last_day, school_ids=None, today=None):
    """Recompute the presence measurements of every school under a contract on the ground (or of
    the given schools) for a date range: the management command and the nightly task."""
    if school_ids is None:
        school_ids = on_the_ground_schools().values_list("pk", flat=True)
    return refresh_presence(list(school_ids), first_day, last_day, today=today)
