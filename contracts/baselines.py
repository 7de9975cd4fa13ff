"""Baselines from the data: the value of each indicator in the year before a contract started,
by the indicator's rules (indicators/rules.py), for each school and for the whole cluster."""

from collections import defaultdict
from datetime import timedelta

from indicators import rules
from indicators.models import Indicator, Measurement, StudentGroup

from .models import add_years


def baseline_year(contract):
    """First and last day of the year before the contract's start."""
    return add_years(contract.start_date, -1), contract.start_date - timedelta(days=1)


def baselines_from_measurements(contract, schools, indicators=None):
    """{(indicator id, school id or None for the cluster): value} for the year before the start,
    from the measurements of all students whose period ends in that year: the school values
    combined by each indicator's aggregation, the cluster value by the sum (counts) or the
    enrolment-weighted mean (rates) of the school values. One query, whatever the data size."""
    first, last = baseline_year(contract)
    indicators = list(indicators if indicators is not None else Indicator.objects.all())
    by_id = {i.pk: i for i in indicators}
    enrolment = {s.pk: s.enrolment for s in schools}
    values = defaultdict(list)
    rows = (
        Measurement.objects.filter(
            school_id__in=list(enrolment),
            indicator_id__in=list(by_id),
            student_group=StudentGroup.ALL,
            period_end__gte=first,
            period_end__lte=last,
        )
        .order_by("period_end", "period_start")
        .values_list("indicator_id", "school_id", "value")
    )
    for indicator_id, school_id, value in rows:
        values[(indicator_id, school_id)].append(value)
    result = {}
    per_indicator = defaultdict(list)
    for (indicator_id, school_id), school_values in values.items():
        value = rules.aggregate(school_values, by_id[indicator_id].aggregation)
        result[(indicator_id, school_id)] = _round(value)
        per_indicator[indicator_id].append((value, enrolment[school_id]))
    for indicator_id, pairs in per_indicator.items():
        result[(indicator_id, None)] = _round(rules.combine_schools(pairs, by_id[indicator_id].is_count))
    return result


def _round(value):
    return None if value is None else round(value, 2)
