"""What the dashboard shows, each piece one query (or two) whatever the number of contracts:
the contracts with their phase and performance, counts by status, the schools and indicators most
off track, the cluster-wide values with schools missing, and the annual reviews overdue.
Everything goes through the `visible_to` scopes."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When, Window
from django.utils import timezone

from contracts.models import (
    ON_THE_GROUND_STATUSES,
    ContractReview,
    ContractSchool,
    LifecycleStatus,
    PerformanceContract,
    add_years,
)
from contracts.phases import PHASE_ORDER, contract_year_bounds, phase_expressions
from contracts.views import phase_label
from indicators.models import IndicatorStatus, Measurement, PerformanceStatus, Status, StudentGroup

# Worst first: what "most urgent first" sorts by. Not computed yet (no row) comes last.
PERFORMANCE_ORDER = ["off_track", "at_risk", "no_data", "on_track", "pre_launch"]
# The annual review of contract year k is due within this many days after the year ends (the
# district's data for the year arrive over the summer; reviews are held in the weeks after).
REVIEW_GRACE_DAYS = 60
OFF_TRACK_LIST_SIZE = 8
DATA_MISSING_LIST_SIZE = 8
OVERDUE_LIST_SIZE = 10


def _rank(field, order):
    return Case(
        *[When(**{field: value}, then=Value(index)) for index, value in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def with_dashboard_columns(contracts, as_of):
    """Contracts with everything a row of the dashboard or its CSV shows: `phase`,
    `contract_year`, `performance_status` (None when not computed yet), the ranks the sort orders
    use, their district, state, Lead Partner and schools. Scope them with `visible_to` first."""
    phase, contract_year = phase_expressions(as_of)
    return (
        contracts.select_related("district__state", "lead_partner", "cluster")
        .prefetch_related("schools")
        .annotate(
            phase=phase,
            contract_year=contract_year,
            performance_status=F("performance__performance_status"),
            performance_as_of=F("performance__as_of"),
            performance_basis=F("performance__basis"),
            phase_rank=_rank("phase", PHASE_ORDER),
            lifecycle_rank=_rank("lifecycle_status", LifecycleStatus.values),
            performance_rank=_rank("performance__performance_status", PERFORMANCE_ORDER),
        )
    )


def label_phases(contracts):
    """Each contract with `phase_label` ("Year 3+ (year 4)"), `performance_label` and
    `performance_basis_label` ("year 3, final" where the status rests on an earlier year than the
    current one)."""
    labels = dict(PerformanceStatus.choices)
    for contract in contracts:
        contract.phase_label = phase_label(contract.phase, contract.contract_year)
        contract.performance_label = labels.get(contract.performance_status, "Not computed yet")
        contract.performance_basis_label = basis_label(contract.performance_basis, contract.contract_year)
    return contracts


def basis_label(basis, current_year):
    """The years a performance status rests on, in words, where one is earlier than the current
    year ("year 3, final"; "years 3 (final) and 4"); empty where it rests on the current year alone."""
    years = [int(year) for year in (basis or "").split(",") if year]
    if not years or years == [current_year]:
        return ""
    if len(years) == 1:
        return f"year {years[0]}, final"
    named = [
        f"{year} (final)" if current_year is None or year < current_year else str(year) for year in years
    ]
    return "years " + ", ".join(named[:-1]) + " and " + named[-1]


def contracts_with_status(user, **filters):
    """The contracts `user` may see among some (a school's, a partner's), with the dashboard's
    columns and labels, newest first."""
    today = timezone.localdate()
    contracts = with_dashboard_columns(PerformanceContract.objects.visible_to(user).filter(**filters), today)
    return label_phases(list(contracts.order_by("-start_date", "name", "pk")))


@dataclass(frozen=True)
class StatusCount:
    value: str
    label: str
    count: int


def status_counts(user):
    """Counts of the user's contracts by lifecycle status and by performance status, in one query."""
    lifecycle = {
        f"lc_{value}": Count("pk", filter=Q(lifecycle_status=value)) for value in LifecycleStatus.values
    }
    performance = {
        f"pf_{value}": Count("pk", filter=Q(performance__performance_status=value))
        for value in PerformanceStatus.values
    }
    totals = PerformanceContract.objects.visible_to(user).aggregate(
        total=Count("pk"),
        not_computed=Count("pk", filter=Q(performance__isnull=True)),
        **lifecycle,
        **performance,
    )
    return {
        "total": totals["total"],
        "lifecycle": [
            StatusCount(value, label, totals[f"lc_{value}"]) for value, label in LifecycleStatus.choices
        ],
        "performance": [
            StatusCount(value, label, totals[f"pf_{value}"])
            for value, label in PerformanceStatus.choices
            if value in PERFORMANCE_ORDER
        ],
        "not_computed": totals["not_computed"],
    }


def current_statuses(user, statuses=(Status.OFF_TRACK, Status.AT_RISK)):
    """The indicator statuses (off track or at risk, by default) of each contract's current year,
    for contracts on the ground."""
    return IndicatorStatus.objects.visible_to(user).filter(
        status__in=statuses,
        contract__lifecycle_status__in=ON_THE_GROUND_STATUSES,
        contract_year=F("contract__performance__contract_year"),
    )


def off_track_schools(user, limit=OFF_TRACK_LIST_SIZE):
    """The schools with the most indicators off track (accountable ones first), then at risk, in
    their contract's current year; each with the names of its off-track indicators."""
    off, risk = Q(status=Status.OFF_TRACK), Q(status=Status.AT_RISK)
    schools = list(
        current_statuses(user)
        .filter(school__isnull=False)
        .values("school_id", "school__name", "contract_id", "contract__name", "contract_year")
        .annotate(
            accountable_off=Count("pk", filter=off & Q(accountable=True)),
            off_track=Count("pk", filter=off),
            at_risk=Count("pk", filter=risk),
        )
        .filter(Q(off_track__gt=0) | Q(at_risk__gt=0))
        .order_by("-accountable_off", "-off_track", "-at_risk", "school__name", "contract_id")[:limit]
    )
    if schools:
        names = {}
        rows = (
            current_statuses(user)
            .filter(school_id__in=[s["school_id"] for s in schools], status=Status.OFF_TRACK)
            .values_list("school_id", "contract_id", "indicator__name", "accountable")
            .order_by("-accountable", "indicator__order")
        )
        for school_id, contract_id, indicator_name, accountable in rows:
            names.setdefault((school_id, contract_id), []).append((indicator_name, accountable))
        for school in schools:
            school["indicators"] = names.get((school["school_id"], school["contract_id"]), [])
    return schools


def off_track_indicators(user, limit=OFF_TRACK_LIST_SIZE):
    """The indicators off track (then at risk) in the most places, cluster-wide (contracts) and in
    schools, in each contract's current year."""
    off = Q(status=Status.OFF_TRACK)
    return list(
        current_statuses(user)
        .values("indicator_id", "indicator__name", "indicator__kind")
        .annotate(
            contracts_off=Count("pk", filter=off & Q(school__isnull=True)),
            schools_off=Count("pk", filter=off & Q(school__isnull=False)),
            schools_at_risk=Count("pk", filter=Q(status=Status.AT_RISK) & Q(school__isnull=False)),
            contracts_at_risk=Count("pk", filter=Q(status=Status.AT_RISK) & Q(school__isnull=True)),
            contracts_accountable_off=Count("pk", filter=off & Q(school__isnull=True, accountable=True)),
        )
        .filter(
            Q(contracts_off__gt=0)
            | Q(schools_off__gt=0)
            | Q(contracts_at_risk__gt=0)
            | Q(schools_at_risk__gt=0)
        )
        .order_by(
            "-contracts_accountable_off",
            "-contracts_off",
            "-schools_off",
            "-contracts_at_risk",
            "-schools_at_risk",
            "indicator__name",
        )[:limit]
    )


def data_missing(user, limit=DATA_MISSING_LIST_SIZE):
    """The cluster-wide values `incomplete` (some school has not reported) of each contract's
    current year, for contracts on the ground: {"items": the first `limit` rows (accountable ones
    first, then the most schools missing), "total": how many there are}. Each row has its
    contract and indicator, and `missing_schools`: [(school id, name)] of the contract's schools
    with no value for the year. Two queries, one when there are none."""
    rows = list(
        current_statuses(user, statuses=(Status.INCOMPLETE,))
        .filter(school__isnull=True)
        .select_related("contract", "indicator")
        .annotate(total=Window(Count("pk")), missing=F("schools_expected") - F("schools_reporting"))
        .order_by("-accountable", "-missing", "contract__name", "indicator__order", "indicator__code", "pk")[
            :limit
        ]
    )
    missing = schools_without_a_value(rows)
    for row in rows:
        row.missing_schools = missing.get(row.pk, [])
    return {"items": rows, "total": rows[0].total if rows else 0}


def schools_without_a_value(rows):
    """{row pk: [(school id, name)]} for cluster-wide status rows: the contract's schools that have
    no value of the row's indicator in its contract year, counted as the engine counts them (a
    measurement of all students whose period ends in the year, by the row's as-of date and the
    contract's last day). One query for all the rows (a UNION ALL of one SELECT per row)."""
    parts = []
    for row in rows:
        contract = row.contract
        first, last = contract_year_bounds(contract.start_date, row.contract_year)
        last_day = min(contract.end_date, contract.ended_on) if contract.ended_on else contract.end_date
        reported = Measurement.objects.filter(
            school=OuterRef("school"),
            indicator_id=row.indicator_id,
            student_group=StudentGroup.ALL,
            period_end__gte=first,
            period_end__lte=min(row.as_of, last, last_day),
        )
        parts.append(
            ContractSchool.objects.filter(contract_id=row.contract_id)
            .filter(~Exists(reported))
            .annotate(row_id=Value(row.pk), school_key=F("school_id"), school_name=F("school__name"))
            .values_list("row_id", "school_key", "school_name")
            .order_by()
        )
    if not parts:
        return {}
    schools = {}
    for row_id, school_id, name in sorted(
        parts[0].union(*parts[1:], all=True), key=lambda r: (r[0], r[2], r[1])
    ):
        schools.setdefault(row_id, []).append((school_id, name))
    return schools


@dataclass(frozen=True)
class OverdueReview:
    contract_id: int
    contract_name: str
    reference: str
    district: str
    lead_partner: str
    contract_year: int
    due_on: date
    days_overdue: int


def overdue_reviews(user, as_of, limit=OVERDUE_LIST_SIZE):
    """Annual reviews due and not held, most overdue first, and how many there are in all.

    The review of contract year k is due REVIEW_GRACE_DAYS after the year ends, for contracts on
    the ground (active, on probation, renewed); years after the contract's last day owe none."""
    on_the_ground = PerformanceContract.objects.visible_to(user).filter(
        lifecycle_status__in=ON_THE_GROUND_STATUSES, start_date__lt=as_of
    )
    contracts = list(
        on_the_ground.values_list(
            "pk",
            "name",
            "reference",
            "district__name",
            "lead_partner__name",
            "start_date",
            "end_date",
            "ended_on",
        )
    )
    held = set(
        ContractReview.objects.filter(contract__in=on_the_ground).values_list("contract_id", "contract_year")
    )
    overdue = []
    grace = timedelta(days=REVIEW_GRACE_DAYS)
    day = timedelta(days=1)
    for pk, name, reference, district, partner, start, end, ended_on in contracts:
        last_day = min(end, ended_on) if ended_on else end
        year = 1
        while True:
            year_end = add_years(start, year) - day  # the last day of contract year `year`
            if year_end > last_day or year_end + grace >= as_of:
                break
            if (pk, year) not in held:
                due_on = year_end + grace
                overdue.append(
                    OverdueReview(pk, name, reference, district, partner, year, due_on, (as_of - due_on).days)
                )
            year += 1
    overdue.sort(key=lambda r: (-r.days_overdue, r.contract_name, r.contract_year))
    return {"items": overdue[:limit], "total": len(overdue)}


def track_record(user, organization):
    """A Lead Partner's results: for each of its contracts `user` may see and each contract year
    computed, how many accountable cluster-wide indicators were met, on track, at risk, off track,
    incomplete (some school has not reported: a gap in the data, not a result) or without data.
    One query. [{contract_id, contract_name, district, years: [{year, counts, total, good}]}], the
    counts in the order of `Status` (every status, zero or not)."""
    rows = (
        IndicatorStatus.objects.visible_to(user)
        .filter(contract__lead_partner=organization, school__isnull=True, accountable=True)
        .values("contract_id", "contract__name", "contract__district__name", "contract_year")
        .annotate(**{value: Count("pk", filter=Q(status=value)) for value in Status.values})
        .order_by("-contract__start_date", "contract__name", "contract_id", "contract_year")
    )
    record = {}
    for row in rows:
        entry = record.setdefault(
            row["contract_id"],
            {
                "contract_id": row["contract_id"],
                "contract_name": row["contract__name"],
                "district": row["contract__district__name"],
                "years": [],
            },
        )
        counts = [StatusCount(value, label, row[value]) for value, label in Status.choices]
        total = sum(c.count for c in counts)
        good = row[Status.MET] + row[Status.ON_TRACK]
        entry["years"].append({"year": row["contract_year"], "counts": counts, "total": total, "good": good})
    return list(record.values())


# What the track record does not count as results: no data, and data with schools missing.
NOT_RESULTS = frozenset({Status.NO_DATA, Status.INCOMPLETE})


def track_record_summary(record):
    """Across all contract years: accountable indicators met or on track, out of those with
    complete data (`incomplete` is a gap in the data, counted apart)."""
    counts = [c for entry in record for y in entry["years"] for c in y["counts"]]
    with_data = sum(c.count for c in counts if c.value not in NOT_RESULTS)
    good = sum(y["good"] for entry in record for y in entry["years"])
    return {
        "with_data": with_data,
        "good": good,
        "share": round(100 * good / with_data) if with_data else None,
        "incomplete": sum(c.count for c in counts if c.value == Status.INCOMPLETE),
    }
