"""What the contract page shows beyond the rows themselves: the phase timeline, targets against
values by indicator and year, the chart data of each indicator, and the change history. Each
function reads a fixed number of queries, whatever the size of the contract's data."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.utils import timezone

from indicators import rules
from indicators.models import IndicatorStatus, Measurement, StudentGroup
from turnaround import histories

from .baselines import baseline_year
from .models import (
    ContractAutonomy,
    ContractResponsibility,
    ContractReview,
    ContractSchool,
    PerformanceContract,
    Subcontract,
    Target,
)
from .phases import contract_year_bounds

# The change history shows this many of the latest changes (of the contract and what it carries).
HISTORY_LIMIT = histories.HISTORY_LIMIT


def phase_timeline(contract, today, drafted_on=None):
    """The phases from pre-launch to the end: [{label, first, last, state, focus}], where state is
    done, current, upcoming or cut (years a contract ended before reaching)."""
    years = contract.term_years or 5
    last_day = min(contract.end_date, contract.ended_on) if contract.ended_on else contract.end_date
    pre_start = contract.mou_signed_on or drafted_on
    if pre_start and pre_start >= contract.start_date:
        pre_start = None  # drafted after the start (a contract recorded late): no pre-launch span
    steps = [
        {
            "key": "pre_launch",
            "label": "Pre-launch",
            "first": pre_start,
            "last": contract.start_date - timedelta(days=1),
            "focus": "MOU, school design, supporting partners, hiring, community, facilities, summer PD",
        }
    ]
    for year in range(1, years + 1):
        first, last = contract_year_bounds(contract.start_date, year)
        leading = year < contract.accountable_from_year
        steps.append(
            {
                "key": f"year_{year}",
                "label": f"Year {year}",
                "first": first,
                "last": last,
                "focus": "Accountable: leading indicators" if leading else "Accountable: lagging indicators",
            }
        )
    for step in steps:
        if step["first"] and step["first"] > last_day:
            step["state"] = "cut"
        elif step["last"] < today:
            step["state"] = "done"
        elif step["first"] is None or step["first"] <= today:
            step["state"] = "current"
        else:
            step["state"] = "upcoming"
    if contract.ended_on and contract.ended_on < contract.end_date:
        steps.append(
            {
                "key": "ended",
                "label": "Ended",
                "first": contract.ended_on,
                "last": contract.ended_on,
                "focus": f"{contract.get_lifecycle_status_display()} on {contract.ended_on:%b %-d, %Y}",
                "state": "done" if contract.ended_on <= today else "upcoming",
            }
        )
    if today > last_day:
        for step in steps:
            if step["state"] == "current":
                step["state"] = "done"
    return steps


def current_accountability_year(contract):
    """The contract year whose accountable indicators the page marks: the current year, year 1
    before the start, the last year after the end."""
    if contract.phase == "pre_launch":
        return 1
    if contract.contract_year:
        return contract.contract_year
    return contract.term_years or 5


def performance_grid(contract, targets, statuses):
    """Targets against values: one row per indicator and scope (cluster first, then schools), one
    cell per contract year with the target, the value to date and the status."""
    years = list(range(1, (contract.term_years or 5) + 1))
    now_year = current_accountability_year(contract)
    by_key = {(s.indicator_id, s.school_id, s.contract_year): s for s in statuses}
    rows = {}
    for target in targets:
        key = (target.indicator_id, target.school_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "indicator": target.indicator,
                "school": target.school,
                "baseline": target.baseline,
                "targets": {},
                "accountability": {},
            }
        row["targets"][target.contract_year] = target.target
        row["accountability"][target.contract_year] = target.accountability
        if row["baseline"] is None:
            row["baseline"] = target.baseline
    result = []
    for (indicator_id, school_id), row in rows.items():

        def accountable(year, row=row):
            return rules.is_accountable(
                row["indicator"].kind,
                year,
                contract.accountable_from_year,
                row["accountability"].get(year, rules.DEFAULT),
            )

        row["accountable_now"] = accountable(now_year)
        row["cells"] = [
            {
                "year": year,
                "target": row["targets"].get(year),
                "status": by_key.get((indicator_id, school_id, year)),
                "accountable": accountable(year),
                "current": year == contract.contract_year,
            }
            for year in years
        ]
        result.append(row)
    result.sort(
        key=lambda r: (
            not r["accountable_now"],
            r["indicator"].order,
            r["school"] is not None,
            str(r["school"] or ""),
        )
    )
    return {"grid_years": years, "grid_rows": result, "accountable_year": now_year}


def _ms(day):
    """A date as JavaScript milliseconds (noon, local time), the x of a chart point."""
    moment = datetime.combine(day, time(12))
    return int(timezone.make_aware(moment).timestamp() * 1000)


def chart_data(contract, targets, statuses, schools, today):
    """One chart per indicator with a cluster-wide target: the baseline, the targets by year, the
    cluster's values over time (running totals within each year for summed indicators, as the
    targets are yearly totals) and the projected year-end value of the current year."""
    cluster_targets = defaultdict(dict)
    indicators = {}
    for target in targets:
        if target.school_id is None:
            cluster_targets[target.indicator_id][target.contract_year] = target
            indicators[target.indicator_id] = target.indicator
    if not indicators:
        return []
    first, _ = baseline_year(contract)
    last_day = min(contract.end_date, contract.ended_on or contract.end_date, today)
    enrolment = {s.pk: s.enrolment for s in schools}
    periods = defaultdict(list)
    rows = (
        Measurement.objects.filter(
            school_id__in=list(enrolment),
            indicator_id__in=list(indicators),
            student_group=StudentGroup.ALL,
            period_end__gte=first,
            period_end__lte=last_day,
        )
        .order_by("period_end", "period_start")
        .values_list("indicator_id", "school_id", "period_start", "period_end", "value")
    )
    for indicator_id, school_id, start, end, value in rows:
        periods[(indicator_id, start, end)].append((value, enrolment.get(school_id, 0)))
    projections = {
        s.indicator_id: s
        for s in statuses
        if s.school_id is None and s.contract_year == contract.contract_year and s.projection is not None
    }
    charts = []
    for indicator_id, indicator in sorted(indicators.items(), key=lambda kv: kv[1].order):
        by_year = cluster_targets[indicator_id]
        baseline = next((t.baseline for t in by_year.values() if t.baseline is not None), None)
        values, running, running_year = [], 0.0, None
        keys = sorted((k for k in periods if k[0] == indicator_id), key=lambda k: (k[2], k[1]))
        for _, start, end in keys:
            value = rules.combine_schools(periods[(indicator_id, start, end)], indicator.is_count)
            if value is None:
                continue
            if indicator.aggregation == "sum":
                year = _year_of(contract, end)
                running = value + (running if year == running_year else 0.0)
                running_year = year
                value = running
            values.append({"x": _ms(end), "y": round(value, 2)})
        target_points = []
        for year in sorted(by_year):
            year_first, year_last = contract_year_bounds(contract.start_date, year)
            target_points += [
                {"x": _ms(year_first), "y": by_year[year].target},
                {"x": _ms(year_last), "y": by_year[year].target},
                {"x": _ms(year_last), "y": None},
            ]
        chart = {
            "id": f"chart-{indicator.code}",
            "code": indicator.code,
            "name": indicator.name,
            "unit": indicator.get_unit_display(),
            "direction": indicator.direction,
            "aggregation": indicator.aggregation,
            "baseline": (
                [{"x": _ms(first), "y": baseline}, {"x": _ms(contract.end_date), "y": baseline}]
                if baseline is not None
                else []
            ),
            "targets": target_points,
            "values": values,
            "projection": [],
            "x_min": _ms(first),
            "x_max": _ms(contract.end_date),
        }
        status = projections.get(indicator_id)
        if status is not None and contract.contract_year:
            _, year_last = contract_year_bounds(contract.start_date, contract.contract_year)
            start_point = values[-1] if values else None
            chart["projection"] = [
                p for p in (start_point, {"x": _ms(year_last), "y": round(status.projection, 2)}) if p
            ]
        charts.append(chart)
    return charts


def _year_of(contract, day):
    """The contract year of a day (0 for the baseline year and before)."""
    if day < contract.start_date:
        return 0
    year = 1
    while contract_year_bounds(contract.start_date, year)[1] < day:
        year += 1
    return year


# The change history --------------------------------------------------------------------------------

HISTORY_SOURCES = [
    # model, what the page calls a row, how to name one (from the historical record), tracked fields
    (
        PerformanceContract,
        "Contract",
        lambda r: "terms",
        [*PerformanceContract.TERMS, "lifecycle_status"],
    ),
    (ContractAutonomy, "Autonomy", lambda r: r.item.text, ["grant", "notes"]),
    (ContractResponsibility, "Responsibility", lambda r: r.item.text, ["owner", "notes"]),
    (
        Subcontract,
        "Subcontract",
        lambda r: f"{r.supporting_partner}: {r.services}",
        ["services", "start_date", "end_date", "amount"],
    ),
    (
        Target,
        "Target",
        lambda r: f"{r.indicator.name}, year {r.contract_year}, {r.school.name if r.school else 'cluster'}",
        ["baseline", "target"],
    ),
    (ContractSchool, "School", lambda r: r.school.name, ["school"]),
    (
        ContractReview,
        "Review",
        lambda r: f"year {r.contract_year}",
        ["contract_year", "review_date", "reviewer", "recommendation", "findings"],
    ),
]
RELATED = {
    ContractAutonomy: ["item"],
    ContractResponsibility: ["item"],
    Subcontract: ["supporting_partner"],
    Target: ["indicator", "school"],
    ContractSchool: ["school"],
    ContractReview: ["reviewer"],
}


def change_history(contract, limit=HISTORY_LIMIT):
    """The latest changes of the contract, its autonomies, responsibilities, subcontracts, targets,
    schools and reviews, and of its cluster's membership (django-simple-history), newest first,
    each with the fields it changed (turnaround.histories)."""
    from schools.models import ClusterMembership

    sources = []
    for model, kind, name_of, fields in HISTORY_SOURCES:
        lookup = {"id": contract.pk} if model is PerformanceContract else {"contract_id": contract.pk}
        sources.append(
            histories.Source(
                records=model.history.filter(**lookup),
                kind=kind,
                name_of=name_of,
                fields=fields,
                related=RELATED.get(model, []),
                # A new contract's terms are on the page already.
                created_values=model is not PerformanceContract,
            )
        )
    if contract.cluster_id:
        sources.append(
            histories.Source(
                records=ClusterMembership.history.filter(cluster_id=contract.cluster_id),
                kind="Cluster",
                name_of=lambda r: f"{r.school.name} in {r.cluster.name}",
                fields=["school"],
                related=["school", "cluster"],
            )
        )
    return histories.history_entries(sources, limit)


def statuses_of(contract):
    """Every computed status row of the contract (all years)."""
    return list(IndicatorStatus.objects.filter(contract=contract).select_related("indicator", "school"))


def evidence_rows(evidence):
    """A decision's evidence for the page: each row with the label of its status."""
    from indicators.models import Status

    labels = dict(Status.choices)
    return [
        {**row, "status_label": labels.get(row.get("status"), row.get("status"))} for row in evidence or []
    ]
