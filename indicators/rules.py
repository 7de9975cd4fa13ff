"""The rules of DESIGN.md ("Rules the portal computes") as plain functions.

These are the reference: the set-based engine (engine.py) computes the same things in SQL for
many contracts at once, and the tests check the two against each other.
"""

from dataclasses import dataclass

MET, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "met", "on_track", "at_risk", "off_track", "no_data"
INCOMPLETE = "incomplete"
# Worst first: the contract's performance status is the first of these found among its accountable
# indicators with data ("met" counts as on track).
SEVERITY = [OFF_TRACK, AT_RISK, ON_TRACK, MET]
DEFAULT_ON_TRACK, DEFAULT_AT_RISK = 0.75, 0.25


@dataclass(frozen=True)
class Thresholds:
    on_track: float = DEFAULT_ON_TRACK
    at_risk: float = DEFAULT_AT_RISK


# A target's accountability: the default of the seed's timeline, or the district's override.
DEFAULT, ACCOUNTABLE, MONITORED = "default", "accountable", "monitored"


def accountable_by_default(kind: str, contract_year: int, accountable_from_year: int = 3) -> bool:
    """Leading indicators are accountable before the accountable-from year (the early signals of
    years 1-2 by default), lagging ones from it."""
    if contract_year < accountable_from_year:
        return kind == "leading"
    return kind == "lagging"


def is_accountable(
    kind: str, contract_year: int, accountable_from_year: int = 3, accountability: str = DEFAULT
) -> bool:
    """Whether a target counts towards the contract's performance status: the district's choice
    for that target (accountable or monitored) where it made one, else the default."""
    if accountability == ACCOUNTABLE:
        return True
    if accountability == MONITORED:
        return False
    return accountable_by_default(kind, contract_year, accountable_from_year)


def meets(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == "higher" else value <= target


def aggregate(values_in_period_order: list[float], aggregation: str) -> float | None:
    """The value to date of one school: the year's measurements combined by the indicator's
    aggregation; None with no measurement."""
    values = values_in_period_order
    if not values:
        return None
    if aggregation == "sum":
        return float(sum(values))
    if aggregation == "last":
        return float(values[-1])
    return sum(values) / len(values)


def combine_schools(values_and_enrolments: list[tuple[float, int]], is_count: bool) -> float | None:
    """A cluster-wide value from school values: the sum for counts, the enrolment-weighted mean for
    rates (a plain mean when no school reports an enrolment)."""
    pairs = [(v, e) for v, e in values_and_enrolments if v is not None]
    if not pairs:
        return None
    if is_count:
        return float(sum(v for v, _ in pairs))
    weight = sum(e for _, e in pairs)
    if weight <= 0:
        return sum(v for v, _ in pairs) / len(pairs)
    return sum(v * e for v, e in pairs) / weight


def end_of_data(latest_period_ends: list):
    """For a sum in a year under way, the date a cluster's sums run to: the latest date every
    school that reported has reported to, the earliest of the schools' latest period ends (a
    school's own rows run to its own latest). None without data."""
    return min(latest_period_ends, default=None)


def instructional_share(days_to_end: int, days_in_year: int) -> float:
    """The share of a contract year's instructional days from its start to the end of the data
    (the district's calendar counts them; schools.calendar): what a sum to date is judged on. A
    year without a day of school has nothing to pro-rate."""
    if days_in_year <= 0:
        return 1.0
    return min(max(days_to_end / days_in_year, 0.0), 1.0)


def prorate(baseline, target, aggregation: str, share: float):
    """For a sum indicator in a year still under way, baseline and target scale with the share of
    the year's instructional days to the end of the data (instructional_share; 1 once the year is
    over); other aggregations are unchanged. So an autumn without incidents data is not read as an
    autumn without incidents."""
    if aggregation != "sum" or share >= 1:
        return baseline, target
    scale = max(share, 0.0)
    return (None if baseline is None else baseline * scale), target * scale


def progress(value, baseline, target, direction: str) -> float | None:
    """p = (v - b) / (t - b). Where the target equals the baseline, or there is no baseline,
    p = 1 if v meets t, else 0. None without a value."""
    if value is None:
        return None
    if baseline is None or target == baseline:
        return 1.0 if meets(value, target, direction) else 0.0
    return (value - baseline) / (target - baseline)


def status(value, p, target, direction: str, thresholds: Thresholds = Thresholds()) -> str:
    if value is None or p is None:
        return NO_DATA
    if p >= 1 or meets(value, target, direction):
        return MET
    if p >= thresholds.on_track:
        return ON_TRACK
    if p >= thresholds.at_risk:
        return AT_RISK
    return OFF_TRACK


def improved_enough(value, previous, target, direction: str, margin: float) -> bool:
    """A miss that improved on the previous contract year's value by at least `margin` (a share)
    of the gap that value left to this year's target; never with the margin at 0 (off), without a
    previous value, or when the previous value already met the target."""
    if not margin or value is None or previous is None:
        return False
    sign = 1.0 if direction == "higher" else -1.0
    gap = sign * (target - previous)
    return gap > 0 and sign * (value - previous) >= margin * gap


def with_improvement(
    status_: str, value, previous, target, direction: str, margin: float
) -> tuple[str, bool]:
    """(status, by_improvement): an at-risk or off-track status that improved enough on last
    year's value (improved_enough) reads on_track, flagged "by improvement"."""
    if status_ in (AT_RISK, OFF_TRACK) and improved_enough(value, previous, target, direction, margin):
        return ON_TRACK, True
    return status_, False


def completeness(value, schools_reporting: int, schools_expected: int, status_if_complete: str) -> str:
    """A cluster-wide value needs every school of the cluster: with some school missing for the
    year the row is `incomplete` (its value is over the schools that reported), never a result."""
    if value is None:
        return NO_DATA
    if schools_reporting < schools_expected:
        return INCOMPLETE
    return status_if_complete


def has_evidence(status_: str) -> bool:
    """A status that a headline may rest on: complete data for the year."""
    return status_ not in (NO_DATA, INCOMPLETE)


def latest_evidence(statuses_by_year: dict[int, str], year: int) -> tuple[int, str] | None:
    """The evidence for one target and scope in contract year `year`: that year's status where its
    data are complete, else the status of the latest earlier year whose data are ("year 3,
    final"); None without any. Never a year after `year`."""
    for candidate in sorted((y for y in statuses_by_year if y <= year), reverse=True):
        if has_evidence(statuses_by_year[candidate]):
            return candidate, statuses_by_year[candidate]
    return None


def performance_status(accountable_evidence: list[str], *, started: bool) -> str:
    """The contract's status: pre_launch before the start, else the worst latest evidence of the
    accountable targets of the current year ("met" counts as on track), else no_data."""
    if not started:
        return "pre_launch"
    with_data = [s for s in accountable_evidence if has_evidence(s)]
    if not with_data:
        return NO_DATA
    worst = min(with_data, key=SEVERITY.index)
    return ON_TRACK if worst == MET else worst


# A projection needs this many periods of the year with data: a line through two or three weekly
# points ran away (the first edition projected 39 against a value of 84).
MIN_PERIODS_TO_PROJECT = 3


def clamp(value: float, min_value: float | None, max_value: float | None) -> float:
    """A value held inside the indicator's plausible range (either bound may be open)."""
    if max_value is not None and value > max_value:
        return max_value
    if min_value is not None and value < min_value:
        return min_value
    return value


def project(
    points: list[tuple[float, float]],
    aggregation: str,
    covered_fraction: float,
    year_over: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    share: float | None = None,
    last_day_t: float = 1.0,
) -> float | None:
    """The projected year-end value from the year's measurements so far; None ("too early to
    project") before MIN_PERIODS_TO_PROJECT periods of the year have data.

    points are (t, value), in period order, with t the middle of each measurement's period as a
    fraction of the contract year (0 = first day, 1 = last day). A year that is over projects to
    its value. covered_fraction is how much of the year the
    measurements cover (the latest period end, as a fraction). A least-squares line through the
    points gives the trend (flat with a single point):
    - last: the line's value at the last day of school (last_day_t, on the scale of t);
    - mean: the mean of the observed values and of the line over the rest of the year, weighted
      by the time each covers;
    - sum: the sum so far over `share`, the elapsed share of the year's instructional days to the
      end of the data (instructional_share); None with no day of school elapsed.
    The line's values that stand for periods not yet measured are held inside the indicator's
    range (min_value, max_value): attendance never projects above 100%, incidents never below 0.
    """
    if not points:
        return None
    if year_over:
        return aggregate([v for _, v in points], aggregation)
    n = len(points)
    if n < MIN_PERIODS_TO_PROJECT:
        return None
    values = [v for _, v in points]
    if aggregation == "sum":
        if share is None:
            raise ValueError("a sum projects over the share of instructional days: pass share")
        return float(sum(values)) / share if share > 0 else None
    slope, intercept = trend(points)
    covered = min(max(covered_fraction, 0.0), 1.0)
    if aggregation == "last":
        return clamp(intercept + slope * last_day_t, min_value, max_value)
    rest = clamp(intercept + slope * (covered + 1.0) / 2, min_value, max_value)
    observed = sum(values) / n  # mean
    return observed * covered + rest * (1.0 - covered)


def trend(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line; flat through the mean with < 2 distinct t."""
    n = len(points)
    st = sum(t for t, _ in points)
    sv = sum(v for _, v in points)
    stt = sum(t * t for t, _ in points)
    stv = sum(t * v for t, v in points)
    denominator = n * stt - st * st
    if n < 2 or abs(denominator) < 1e-12:
        return 0.0, sv / n
    slope = (n * stv - st * sv) / denominator
    return slope, (sv - slope * st) / n
