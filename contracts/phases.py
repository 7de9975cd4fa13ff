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
