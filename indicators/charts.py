"""The data behind a school's indicator charts: its measurements over time and the targets of the
contracts covering it, one chart per indicator, in a fixed number of queries."""

from django.db.models import F, Q

from contracts.models import PerformanceContract, Target
from contracts.phases import contract_year_bounds

from .models import IndicatorStatus, Measurement, StudentGroup


def comparable_with_school_values(target):
    """A target drawn over one school's measurements must be in their terms: a summed indicator's
    target is a year's total (the values are months), and a cluster-wide count is the sum over the
    cluster's schools; those belong on the contract page, not here."""
    if target.indicator.aggregation == "sum":
        return False
    return target.school_id is not None or not target.indicator.is_count


def school_indicator_charts(school, user):
    """[{indicator, status, data}] for each indicator with a measurement or a target at `school`,
    in catalog order. `data` is what static/js/indicator_charts.js draws: the values (period end,
    value) and, per target row, a step per contract year (start, end, target). `status` is the
    school's computed status in its contract's current year, if any. Only what `user` may see."""
    contracts = PerformanceContract.objects.visible_to(user).filter(schools=school)
    measurements = (
        Measurement.objects.visible_to(user)
        .filter(school=school, student_group=StudentGroup.ALL)
        .select_related("indicator")
        .order_by("period_end", "period_start")
    )
    targets = (
        Target.objects.filter(contract__in=contracts)
        .filter(Q(school=school) | Q(school__isnull=True))
        .select_related("indicator", "contract")
        .order_by("contract__start_date", "contract_year")
    )
    statuses = (
        IndicatorStatus.objects.filter(
            contract__in=contracts, school=school, contract_year=F("contract__performance__contract_year")
        )
        .select_related("indicator", "contract")
        .order_by("-contract__start_date")
    )
    charts = {}

    def chart(indicator):
        if indicator.pk not in charts:
            charts[indicator.pk] = {
                "indicator": indicator,
                "status": None,
                "data": {
                    "id": f"chart-{indicator.code}",
                    "label": indicator.name,
                    "unit": indicator.get_unit_display(),
                    "lowerIsBetter": indicator.direction == "lower",
                    "values": [],
                    "targets": [],
                },
            }
        return charts[indicator.pk]

    for m in measurements:
        chart(m.indicator)["data"]["values"].append([m.period_end.isoformat(), m.value])
    steps = {}
    for t in targets:
        if not comparable_with_school_values(t):
            continue
        key = (t.indicator, t.contract_id, t.school_id is None)
        if key not in steps:
            where = "cluster target" if t.school_id is None else "school target"
            steps[key] = {"label": f"{t.contract.reference}: {where}", "steps": []}
            chart(t.indicator)["data"]["targets"].append(steps[key])
        first, last = contract_year_bounds(t.contract.start_date, t.contract_year)
        steps[key]["steps"].append([first.isoformat(), last.isoformat(), t.target])
    for status in statuses:
        entry = chart(status.indicator)
        entry["status"] = entry["status"] or status
    return [
        charts[k]
        for k in sorted(charts, key=lambda k: (charts[k]["indicator"].order, charts[k]["indicator"].code))
    ]
