"""The phase of a contract, derived from its dates and never stored by hand."""

from datetime import date


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # a 29 February start
        return start.replace(year=start.year + years, day=28)


def contract_year_on(start: date, as_of: date) -> int | None:
    """The contract year (1, 2, ...) containing `as_of`, counting years from the start date;
    None before the start."""
    if as_of < start:
        return None
    year = as_of.year - start.year + 1
    while _anniversary(start, year - 1) > as_of:
        year -= 1
    return year


def contract_year_bounds(start: date, year: int) -> tuple[date, date]:
    """First and last day of contract year `year` (1-based)."""
    from datetime import timedelta

    return _anniversary(start, year - 1), _anniversary(start, year) - timedelta(days=1)


def contract_phase(start: date, end: date, as_of: date, ended_on: date | None = None):
    """(phase, contract_year) on `as_of`. Phases are the seed's timeline: pre_launch, year_1,
    year_2, year_3_plus, ended. A contract ends after its end date, or after the day it was
    terminated or completed. contract_year is None before the start and after the end."""
    last_day = min(end, ended_on) if ended_on else end
    if as_of < start:
        return "pre_launch", None
    if as_of > last_day:
        return "ended", None
    year = contract_year_on(start, as_of)
    phase = {1: "year_1", 2: "year_2"}.get(year, "year_3_plus")
    return phase, year


# The longest term is 5 years; a contract ending on its 5th anniversary has a day of year 6.
LAST_CONTRACT_YEAR = 6


def latest_start_before_year(as_of: date, years: int) -> date:
    """The latest start date whose contract year `years + 1` has begun by `as_of`: a contract that
    started on or before it is past its first `years` years on that day. Exact around 29 February,
    like `_anniversary`."""
    from datetime import timedelta

    candidate = _anniversary(as_of, -years)
    # _anniversary(s, years) is non-decreasing in s: step to the last start that still qualifies.
    while _anniversary(candidate + timedelta(days=1), years) <= as_of:
        candidate += timedelta(days=1)
    while _anniversary(candidate, years) > as_of:
        candidate -= timedelta(days=1)
    return candidate


def phase_expressions(as_of: date):
    """(phase, contract_year) as database expressions over a contract's start_date, end_date and
    ended_on on `as_of`: the same answer as contract_phase(), so that lists can filter and sort by
    phase in the database."""
    from django.db.models import Case, CharField, IntegerField, Q, Value, When

    not_started = Q(start_date__gt=as_of)
    ended = Q(end_date__lt=as_of) | Q(ended_on__lt=as_of)
    # In year k when the contract has not yet passed its first k years.
    in_year = {
        k: Q(start_date__gt=latest_start_before_year(as_of, k)) for k in range(1, LAST_CONTRACT_YEAR + 1)
    }
    phase = Case(
        When(not_started, then=Value("pre_launch")),
        When(ended, then=Value("ended")),
        When(in_year[1], then=Value("year_1")),
        When(in_year[2], then=Value("year_2")),
        default=Value("year_3_plus"),
        output_field=CharField(),
    )
    contract_year = Case(
        When(not_started | ended, then=Value(None)),
        *[When(in_year[k], then=Value(k)) for k in range(1, LAST_CONTRACT_YEAR + 1)],
        default=Value(None),
        output_field=IntegerField(),
    )
    return phase, contract_year


# The order of phases, for sorting: pre-launch first, ended last.
PHASE_ORDER = ["pre_launch", "year_1", "year_2", "year_3_plus", "ended"]
