"""The indicator engine: statuses of contracts' targets, computed set-based in the database.

For a batch of contracts and an as-of date, a handful of statements do all the work:

1. the contract-year windows of the batch (from the contracts' dates, computed here: a few rows
   per contract) go into a temporary table;
2. one grouped pass over the measurements of the batch's schools gives, per contract year,
   indicator and school, the count, sum, latest value and, for a year under way, the sums a
   least-squares trend needs (engine_sv); for the sums of a year under way, the end of each
   cluster's data and the share of the year's instructional days up to it (from the districts'
   calendars), and the sums cut at that end (engine_end, engine_share, engine_cut); the school
   values and projections follow (engine_school), then the cluster-wide values (sum for counts,
   enrolment-weighted mean for rates), progress and status (engine_status);
3. two upserts copy them into the status rows (one per partial unique index: school rows and
   cluster-wide rows), skipping rows whose values did not change; a delete drops rows whose target
   is gone; one more upsert writes each contract's performance status.

Everything for a batch runs in one transaction, after taking an advisory lock per contract (in id
order) on PostgreSQL, so two recomputes of one contract never interleave and a worker that dies in
the middle leaves the previous statuses as they were. The SQL is the same on SQLite and PostgreSQL
but for a few small dialect pieces (day differences, the latest value of a group, casts, locks).

On PostgreSQL the grouped pass of a contract year that is over is kept (indicators_yearaggregate)
and read back by the next recompute instead of the year's measurements; a trigger on the
measurement table deletes what a write makes stale, and per-school advisory locks close the race
between keeping and writing (_lock_schools; docs/indicators.md).

The rules are those of indicators/rules.py, which the tests hold this module to.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from contracts.models import PerformanceContract
from contracts.phases import contract_year_bounds, contract_year_on
from schools.calendar import InstructionalCalendar, school_year_of

from . import rules

# The indicator whose measurements weigh a school in its cluster, year by year.
ENROLMENT = "enrolment"

# Contracts per transaction for a full recompute: large enough that the fixed cost of the
# statements is spread thin, small enough that one transaction holds a few seconds of work and a
# few thousand locks at most, and that the VALUES list stays far below SQLite's parameter limit.
BATCH_SIZE = 250
# Namespace of the per-contract advisory locks (the first key of pg_advisory_xact_lock).
LOCK_NAMESPACE = 7101
# Namespace of the per-school advisory locks that guard the kept year aggregates (the trigger of
# migration indicators 0005 takes them too).
SCHOOL_LOCK_NAMESPACE = 7102


@dataclass(frozen=True)
class Window:
    """One contract year whose statuses are due on the as-of date."""

    contract_id: int
    contract_year: int
    year_start: date
    cutoff: date  # the last day whose measurements count: min(as_of, year end, contract's last day)
    year_days: int
    elapsed: float  # the elapsed fraction of the year on the cutoff day, for pro-rating sums
    # The contract's terms for the year: leading indicators count in it (before the contract's
    # accountable-from year; lagging ones from then on), and its status thresholds.
    leading_year: bool
    on_track_threshold: float
    at_risk_threshold: float
    improvement_margin: float = 0.0
    district_id: int | None = None  # whose calendar counts the instructional days


# The contract fields contract_windows() reads.
WINDOW_FIELDS = (
    "pk",
    "start_date",
    "end_date",
    "ended_on",
    "accountable_from_year",
    "on_track_threshold",
    "at_risk_threshold",
    "improvement_margin",
    "district",
)


def contract_windows(contract, as_of):
    """The windows of a contract on a date, and its current contract year (None before the start).

    Every contract year that has begun by `as_of` gets a window, up to the last year of the term or
    the year in which it ended."""
    last_day = min(contract.end_date, contract.ended_on) if contract.ended_on else contract.end_date
    if as_of < contract.start_date:
        return [], None
    final_year = contract_year_on(contract.start_date, min(as_of, last_day))
    windows = []
    for year in range(1, final_year + 1):
        first, last = contract_year_bounds(contract.start_date, year)
        cutoff = min(as_of, last, last_day)
        year_days = (last - first).days + 1
        windows.append(
            Window(
                contract_id=contract.pk,
                contract_year=year,
                year_start=first,
                cutoff=cutoff,
                year_days=year_days,
                elapsed=min(1.0, ((cutoff - first).days + 1) / year_days),
                leading_year=year < contract.accountable_from_year,
                on_track_threshold=contract.on_track_threshold,
                at_risk_threshold=contract.at_risk_threshold,
                improvement_margin=contract.improvement_margin,
                district_id=contract.district_id,
            )
        )
    return windows, final_year


class Dialect:
    """The few SQL pieces that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor):
        self.postgres = vendor == "postgresql"

    def days_between(self, later, earlier):
        """Whole days from one date column to another, as an integer (integer arithmetic per
        measurement row: PostgreSQL's numeric, which a division by 2.0 would give, is far slower)."""
        if self.postgres:
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def date_param(self, type_name="date"):
        return f"%s::{type_name}" if self.postgres else "%s"

    def last_value(self):
        """An aggregate: the value of the row with the latest period (latest end, then latest
        start). PostgreSQL takes the greatest [end, start, value] array, with no sort; SQLite
        takes the bare column of the row holding the only MAX() of the query, MAX(x.pe)."""
        if self.postgres:
            return (
                "(MAX(ARRAY[(x.period_end - DATE '2000-01-01')::float8, "
                "(x.period_start - DATE '2000-01-01')::float8, x.value]))[3]"
            )
        return "x.value"

    def fence(self):
        """Ends a subquery that the planner must not flatten into the query around it."""
        return "OFFSET 0" if self.postgres else "LIMIT -1 OFFSET 0"

    def temp_table(self, name, select_sql):
        if self.postgres:
            return f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS {select_sql}"
        return f"CREATE TEMPORARY TABLE {name} AS {select_sql}"


def recompute_contracts(contract_ids, as_of=None):
    """Recompute the statuses of these contracts, in batches of BATCH_SIZE, one transaction each.
    Returns the number of status rows the run produced."""
    as_of = as_of or timezone.localdate()
    ids = sorted(set(int(i) for i in contract_ids))
    produced = 0
    for offset in range(0, len(ids), BATCH_SIZE):
        produced += _recompute_batch(ids[offset : offset + BATCH_SIZE], as_of)
    return produced


def recompute_all(as_of=None):
    ids = list(PerformanceContract.objects.order_by("pk").values_list("pk", flat=True))
    return recompute_contracts(ids, as_of)


def _recompute_batch(ids, as_of):
    dialect = Dialect(connection.vendor)
    computed_at = timezone.now()
    with transaction.atomic():
        _lock(ids, dialect)
        contracts = list(PerformanceContract.objects.filter(pk__in=ids).order_by("pk").only(*WINDOW_FIELDS))
        windows, current = [], {}
        for contract in contracts:
            contract_windows_, current_year = contract_windows(contract, as_of)
            windows.extend(contract_windows_)
            current[contract.pk] = current_year
        found = [c.pk for c in contracts]
        with connection.cursor() as cursor:
            if windows:
                _compute(cursor, dialect, windows, as_of, computed_at)
            # Before the upsert: the rows to drop are found by the contracts' index among the
            # rows there were, not among those just written.
            _delete_stale(cursor, found, bool(windows))
            produced = _write_statuses(cursor, dialect) if windows else 0
            _write_performance(cursor, dialect, current, as_of, computed_at)
            if windows and not dialect.postgres:  # PostgreSQL drops them at commit
                cursor.execute("DROP TABLE engine_status")
                cursor.execute("DROP TABLE engine_row")
                cursor.execute("DROP TABLE engine_window")
                cursor.execute("DROP TABLE engine_school")
                cursor.execute("DROP TABLE engine_cluster")
                cursor.execute("DROP TABLE engine_sv")
                cursor.execute("DROP TABLE engine_member")
                cursor.execute("DROP TABLE engine_weight")
                cursor.execute("DROP TABLE engine_target")
                cursor.execute("DROP TABLE engine_end")
                cursor.execute("DROP TABLE engine_share")
                cursor.execute("DROP TABLE engine_cut")
    return produced


def _lock(ids, dialect):
    if not dialect.postgres or not ids:
        return  # SQLite lets one writer at a time into the whole database.
    with connection.cursor() as cursor:
        # The statements' costs reach JIT's threshold, and compiling them takes longer than
        # running them (measured in bench/recompute.py).
        cursor.execute("SET LOCAL jit = off")
        # The grouped pass sorts a batch's measurement rows: in memory, not in files.
        cursor.execute("SET LOCAL work_mem = '64MB'")
    lock_contracts(ids)


def lock_contracts(ids):
    """Take the engine's lock of each of these contracts (PostgreSQL; in id order, until the
    transaction ends): a recompute of them, or a deletion (indicators.signals), waits for it."""
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, s.id) FROM (SELECT unnest(%s::integer[]) AS id ORDER BY 1) s",
            [LOCK_NAMESPACE, sorted(ids)],
        )


def _adapt_date(value):
    return connection.ops.adapt_datefield_value(value)


def _adapt_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def _values(dialect, rows, casts):
    """A VALUES list and its parameters; on PostgreSQL the columns in `casts` ({index: type}) are
    cast, so that a date or a NULL has a type."""
    placeholders = []
    params = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cells.append(dialect.date_param(casts[index]) if index in casts else "%s")
            params.append(_adapt_date(value) if isinstance(value, date) else value)
        placeholders.append(f"({', '.join(cells)})")
    return ", ".join(placeholders), params


# The columns of engine_window, with their PostgreSQL types (floats typed as such: a bare 365.0
# would be numeric, and numeric arithmetic is slow).
_WINDOW_COLUMNS = (
    ("contract_id", "integer"),
    ("contract_year", "integer"),
    ("year_start", "date"),
    ("cutoff", "date"),
    ("year_days", "float8"),
    ("elapsed", "float8"),
    ("leading_year", "integer"),
    ("on_track_threshold", "float8"),
    ("at_risk_threshold", "float8"),
    ("improvement_margin", "float8"),
    ("last_school_t", "float8"),
)


def _write_windows(cursor, dialect, windows, school_days):
    """The batch's contract-year windows as the temporary table engine_window."""
    rows = [
        (
            w.contract_id,
            w.contract_year,
            w.year_start,
            w.cutoff,
            w.year_days,
            w.elapsed,
            1 if w.leading_year else 0,
            w.on_track_threshold,
            w.at_risk_threshold,
            w.improvement_margin,
            school_days.last_school_t(w),
        )
        for w in windows
    ]
    _write_table(cursor, dialect, "engine_window", _WINDOW_COLUMNS, rows)


def _write_table(cursor, dialect, name, columns, rows):
    """Rows computed in Python as a temporary table, analysed, so that the planner knows how many
    rows the joins on it give (a VALUES list is guessed at, and badly). On PostgreSQL the rows go
    as one array per column (unnest), which is quicker to send and parse than a VALUES list of a
    few thousand parameters. columns: (name, PostgreSQL type) pairs."""
    names = ", ".join(column for column, _ in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    if not rows:
        empty = ", ".join(f"CAST(NULL AS {type_}) AS {column}" for column, type_ in columns)
        cursor.execute(dialect.temp_table(name, f"SELECT {empty} WHERE 1 = 0"))
        return
    if dialect.postgres:
        arrays = ", ".join(f"%s::{type_}[]" for _, type_ in columns)
        cursor.execute(
            dialect.temp_table(name, f"SELECT * FROM unnest({arrays}) AS v({names})"),
            # Array literals as text: adapting lists of a few thousand values element by element
            # took longer than the rest of the statement (str() of a float round-trips exactly).
            ["{" + ",".join(str(value) for value in column) + "}" for column in zip(*rows, strict=True)],
        )
        cursor.execute(f"ANALYZE {name}")
        return
    values, params = _values(dialect, rows, casts={})
    aliases = ", ".join(f"column{number} AS {column}" for number, (column, _) in enumerate(columns, 1))
    cursor.execute(dialect.temp_table(name, f"SELECT {aliases} FROM (VALUES {values}) AS v"), params)


def _aggregate_select(dialect, verified_only=False, skip_kept=False):
    """Per contract year, indicator and school of the windows in engine_window: the count, sum,
    latest period and its value, and for a year still under way the sums a least-squares trend
    needs. The one pass over the measurements.

    Per row only integers are computed for the trend: ps and pe, the days from the start of the
    contract year to the period's start and end; the sums are taken in mid2 = ps + pe (twice the
    period's middle) and turned into sums in t (the middle as a fraction of the year,
    t = a * mid2 + b) per group afterwards.

    On PostgreSQL, a year that is over and whose aggregates are kept (indicators_yearaggregate)
    is read from there instead of from its measurements (see _stage_inputs)."""
    ps = dialect.days_between("m.period_start", "w.year_start")
    pe = dialect.days_between("m.period_end", "w.year_start")
    mid2 = f"CASE WHEN w.elapsed < 1 THEN {ps} + {pe} END"
    needed = """
    needed AS (SELECT DISTINCT contract_id, contract_year, indicator_id FROM engine_target)"""
    columns = f"""
           x.contract_id, x.contract_year, x.indicator_id, x.school_id, COUNT(*) AS n, SUM(x.value) AS s,
           CAST(COALESCE(SUM(x.mid2), 0) AS DOUBLE PRECISION) AS sm,
           CAST(COALESCE(SUM(x.mid2 * x.mid2), 0) AS DOUBLE PRECISION) AS smm,
           COALESCE(SUM(x.mid2 * x.value), 0) AS smv,
           MAX(x.pe) AS last_pe, {dialect.last_value()} AS last_value"""
    measured = """
          ON m.school_id = w.school_id AND m.indicator_id = w.indicator_id AND m.student_group = 'all'
         AND m.period_end >= w.year_start AND m.period_end <= w.cutoff"""
    if verified_only:
        measured += " AND m.verification = 'verified'"
    group = "GROUP BY x.contract_id, x.contract_year, x.indicator_id, x.school_id"
    # With skip_kept, the pairs of the years that are over whose aggregates are kept (engine_kept,
    # see _stage_inputs) are left out: an anti-join over those years' pairs only, the years under
    # way taken whole (with none kept, nothing is left out: the first run's plan). OFFSET 0 keeps
    # the subquery from being flattened: the planner would otherwise leave the pairs out only
    # after reading all their measurements.
    pairs = """
            SELECT n.contract_id, n.contract_year, n.indicator_id, cs.school_id, w.year_start, w.cutoff,
                   w.elapsed
            FROM needed n
            JOIN engine_window w ON w.contract_id = n.contract_id AND w.contract_year = n.contract_year
            JOIN engine_member cs ON cs.contract_id = n.contract_id"""
    if skip_kept:
        pairs = f"""{pairs}
            WHERE w.elapsed < 1
            UNION ALL
            SELECT * FROM ({pairs}
            WHERE w.elapsed >= 1 AND NOT EXISTS (
                SELECT 1 FROM engine_kept a
                WHERE a.contract_id = n.contract_id AND a.contract_year = n.contract_year
                  AND a.indicator_id = n.indicator_id AND a.school_id = cs.school_id
            )
            OFFSET 0) kept_out"""
    return f"""
    WITH {needed}
    SELECT {columns}
    FROM (
        SELECT w.contract_id, w.contract_year, w.indicator_id, m.school_id, m.value, m.period_end,
               m.period_start, {pe} AS pe, {mid2} AS mid2
        FROM ({pairs}
        ) w
        JOIN indicators_measurement m {measured}
        -- Each school's measurements in period order: a floating-point sum depends on the order
        -- of its terms (in its last bit), and the order of the rows here depends on the plan,
        -- which differs with and without kept aggregates. Sorted, the same measurements always
        -- give the same bits (and a recompute that changes nothing writes nothing).
        ORDER BY w.contract_id, w.contract_year, w.indicator_id, m.school_id, m.period_end, m.period_start
    ) x
    {group}
    """


# The value of a school by the indicator's aggregation, from its count, sum and latest value.
_SCHOOL_VALUE = (
    "CASE i.aggregation WHEN 'sum' THEN {0}.s WHEN 'mean' THEN {0}.s / {0}.n ELSE {0}.last_value END"
)


# The targets of the batch's windows, read once for the statements that need them.
_TARGETS = """
    SELECT t.contract_id, t.contract_year, t.indicator_id, t.school_id, t.baseline, t.target,
           t.accountability
    FROM contracts_target t
    JOIN engine_window w ON w.contract_id = t.contract_id AND w.contract_year = t.contract_year
"""
# The schools of the batch's contracts with their enrolment: a small table that the later
# statements hash-join, where a join to schools_school would look each row's school up by index.
_MEMBERS = """
    SELECT cs.contract_id, cs.school_id, sc.enrolment
    FROM contracts_contractschool cs
    JOIN schools_school sc ON sc.id = cs.school_id
    WHERE cs.contract_id IN (SELECT contract_id FROM engine_window)
"""


def _stage_inputs(cursor, dialect, windows, school_days, keep=True):
    """The temporary tables the aggregate reads: the windows, their targets, the contracts' schools
    and, on PostgreSQL, the schools locked for keeping aggregates and the batch's kept aggregates
    of the years that are over (engine_kept), read by the windows' keys (_KEPT_SCHOOLS turns them
    into school values)."""
    _write_windows(cursor, dialect, windows, school_days)
    for name, select_sql in (("engine_target", _TARGETS), ("engine_member", _MEMBERS)):
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(dialect.temp_table(name, select_sql))
    if not dialect.postgres:
        return
    if keep:
        _lock_schools(cursor)
    cursor.execute("DROP TABLE IF EXISTS engine_kept")
    cursor.execute(
        """
        CREATE TEMPORARY TABLE engine_kept ON COMMIT DROP AS
        SELECT a.contract_id, a.contract_year, a.indicator_id, a.school_id, a.n, a.s, a.last_value
        FROM engine_window w
        JOIN indicators_yearaggregate a
          ON a.contract_id = w.contract_id AND a.contract_year = w.contract_year
         AND a.year_start = w.year_start AND a.cutoff = w.cutoff
        WHERE w.elapsed >= 1
        """
    )


def _lock_schools(cursor):
    """Try, without waiting, the advisory lock of each school of the batch (PostgreSQL): the
    aggregates of a year that is over are kept only for the schools locked here. A measurement
    write takes the shared lock of its schools before its trigger deletes the kept aggregates it
    falls into: it waits until this transaction has committed its aggregates, then deletes them;
    a school whose lock a writer holds now is computed but not kept. So no kept aggregate misses
    a committed change, and a recompute never waits for a writer."""
    cursor.execute("DROP TABLE IF EXISTS engine_locked")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE engine_locked ON COMMIT DROP AS
        SELECT s.school_id FROM (SELECT DISTINCT school_id FROM engine_member) s
        WHERE pg_try_advisory_xact_lock({SCHOOL_LOCK_NAMESPACE}, s.school_id::integer)
        """
    )


def _keep_aggregates(cursor):
    """Keep the aggregates just computed from the measurements (engine_sv) for the years that are
    over, for the locked schools."""
    cursor.execute(
        """
        INSERT INTO indicators_yearaggregate
            (contract_id, contract_year, indicator_id, school_id, year_start, cutoff, n, s, last_value)
        SELECT sv.contract_id, sv.contract_year, sv.indicator_id, sv.school_id, w.year_start, w.cutoff,
               sv.n, sv.s, sv.last_value
        FROM engine_sv sv
        JOIN engine_window w ON w.contract_id = sv.contract_id AND w.contract_year = sv.contract_year
        JOIN engine_locked l ON l.school_id = sv.school_id
        WHERE w.elapsed >= 1
        ON CONFLICT (contract_id, contract_year, indicator_id, school_id) DO UPDATE SET
            year_start = excluded.year_start, cutoff = excluded.cutoff, n = excluded.n, s = excluded.s,
            last_value = excluded.last_value
        """
    )


# For each sum in a year under way, the end of its cluster's data (DESIGN.md, "Completeness"):
# the latest date every school that reported has reported to, the earliest of the schools' latest
# period ends, as days from the start of the contract year.
_ENDS = """
    SELECT sv.contract_id, sv.contract_year, sv.indicator_id, MIN(sv.last_pe) AS end_pe
    FROM engine_sv sv
    JOIN engine_window w ON w.contract_id = sv.contract_id AND w.contract_year = sv.contract_year
    JOIN indicators_indicator i ON i.id = sv.indicator_id
    WHERE w.elapsed < 1 AND i.aggregation = 'sum'
    GROUP BY sv.contract_id, sv.contract_year, sv.indicator_id
"""
# The ends of data whose share of the year's instructional days the rows need: each school's own
# (its rows) and each cluster's.
_DATA_ENDS = """
    SELECT sv.contract_id, sv.contract_year, sv.last_pe
    FROM engine_sv sv
    JOIN engine_end e ON e.contract_id = sv.contract_id AND e.contract_year = sv.contract_year
     AND e.indicator_id = sv.indicator_id
    UNION
    SELECT contract_id, contract_year, end_pe FROM engine_end
"""
_SHARE_COLUMNS = (
    ("contract_id", "integer"),
    ("contract_year", "integer"),
    ("pe", "integer"),
    ("share", "float8"),
)


def _cut_select(dialect, verified_only):
    """The sums of the schools that reported past their cluster's end of data, cut at that end
    (in period order, as _aggregate_select; 0 where nothing ends by then)."""
    pe = dialect.days_between("m.period_end", "w.year_start")
    verified = " AND m.verification = 'verified'" if verified_only else ""
    return f"""
    SELECT x.contract_id, x.contract_year, x.indicator_id, x.school_id, COALESCE(SUM(x.value), 0) AS s
    FROM (
        SELECT sv.contract_id, sv.contract_year, sv.indicator_id, sv.school_id, m.value
        FROM engine_sv sv
        JOIN engine_end e ON e.contract_id = sv.contract_id AND e.contract_year = sv.contract_year
         AND e.indicator_id = sv.indicator_id AND sv.last_pe > e.end_pe
        JOIN engine_window w ON w.contract_id = sv.contract_id AND w.contract_year = sv.contract_year
        LEFT JOIN indicators_measurement m
          ON m.school_id = sv.school_id AND m.indicator_id = sv.indicator_id AND m.student_group = 'all'
         AND m.period_end >= w.year_start AND {pe} <= e.end_pe{verified}
        ORDER BY sv.contract_id, sv.contract_year, sv.indicator_id, sv.school_id, m.period_end, m.period_start
    ) x
    GROUP BY x.contract_id, x.contract_year, x.indicator_id, x.school_id
    """


def _stage_ends(cursor, dialect, windows, school_days, verified_only):
    """The ends of data of the sums in years under way (engine_end), the share of the year's
    instructional days up to each end (engine_share: counted here from the districts' calendars,
    two queries a batch) and the school sums cut at their cluster's end (engine_cut)."""
    cursor.execute("DROP TABLE IF EXISTS engine_end")
    cursor.execute(dialect.temp_table("engine_end", _ENDS))
    cursor.execute(_DATA_ENDS)
    _write_table(
        cursor, dialect, "engine_share", _SHARE_COLUMNS, _shares(windows, school_days, cursor.fetchall())
    )
    cursor.execute("DROP TABLE IF EXISTS engine_cut")
    cursor.execute(dialect.temp_table("engine_cut", _cut_select(dialect, verified_only)))


class _SchoolDays:
    """The days of school of the batch's contract years under way, from their districts'
    calendars (two queries a batch): the share of a year's instructional days to a date, and the
    year's last day of school."""

    def __init__(self, windows):
        under_way = [w for w in windows if w.elapsed < 1]
        self.calendar = None
        self._in_year = {}
        if under_way:
            self.calendar = InstructionalCalendar(
                {w.district_id for w in under_way},
                min(school_year_of(w.year_start) for w in under_way),
                max(school_year_of(self.year_end(w)) for w in under_way),
            )

    @staticmethod
    def year_end(window):
        return window.year_start + timedelta(days=window.year_days - 1)

    def share(self, window, end):
        """The share of the contract year's instructional days up to `end` (days from its start):
        rules.instructional_share."""
        if window not in self._in_year:
            self._in_year[window] = self.calendar.days(
                window.district_id, window.year_start, self.year_end(window)
            )
        to_end = self.calendar.days(
            window.district_id, window.year_start, window.year_start + timedelta(days=end)
        )
        return rules.instructional_share(to_end, self._in_year[window])

    def last_school_t(self, window):
        """The middle of the contract year's last day of school as a fraction of the year, the time
        scale of the trend (_aggregate_select): where a `last` is projected. The year's end where
        it holds no last day of school, and for a year that is over (it projects to its value)."""
        last = None
        if window.elapsed < 1:
            last = self.calendar.last_day_of_school(
                window.district_id, window.year_start, self.year_end(window)
            )
        offset = (last - window.year_start).days if last else window.year_days - 1
        return (offset + 0.5) / window.year_days


def _shares(windows, school_days, ends):
    """(contract, year, end, share) for each (contract, year, end) of `ends`, the end in days from
    the start of the contract year: the instructional days from the start of the year to the end,
    over the year's, in the contract's district's calendar."""
    by_key = {(w.contract_id, w.contract_year): w for w in windows}
    return [
        (contract_id, year, end, school_days.share(by_key[(contract_id, year)], end))
        for contract_id, year, end in ends
    ]


def _school_select(dialect):
    """Per school, from the aggregates in engine_sv: the value to date and the projected year-end
    value (see _aggregate_select for the sums). The trend is computed only for years under way:
    a year that is over projects to its value. For a sum in a year under way, also the share of
    the year's instructional days to the school's end of data (engine_share) and the sum cut at
    its cluster's end of data (engine_cut; the value elsewhere).

    Each layer computes its terms once per row and the next reads them (a fence keeps the
    layers apart: flattened, the planner would copy the slope's expression into every place that
    uses it, and evaluate it there again)."""
    fence = dialect.fence()
    clamp = "CASE WHEN {0} < 0 THEN 0.0 WHEN {0} > 1 THEN 1.0 ELSE {0} END"
    # Into the indicator's plausible range (either bound may be open).
    in_range = (
        "CASE WHEN {0}.max_value IS NOT NULL AND {1} > {0}.max_value THEN {0}.max_value "
        "WHEN {0}.min_value IS NOT NULL AND {1} < {0}.min_value THEN {0}.min_value ELSE {1} END"
    )
    at_last_day_of_school = in_range.format("r", "r.intercept + r.slope * r.last_school_t")
    return f"""
    SELECT r.contract_id, r.contract_year, r.indicator_id, r.school_id, r.unit, r.enrolment, r.value,
           CASE WHEN r.elapsed >= 1 THEN r.value
                WHEN r.n < {rules.MIN_PERIODS_TO_PROJECT} THEN NULL
                WHEN r.aggregation = 'last' THEN {at_last_day_of_school}
                WHEN r.aggregation = 'mean'
                    THEN (r.s / r.n) * r.covered + r.rest_mean * (1.0 - r.covered)
                -- a sum: the sum to date over the elapsed share of the year's instructional days
                WHEN r.share > 0 THEN r.s / r.share
           END AS projection,
           r.share, r.cut
    FROM (
        SELECT l.*, {in_range.format("l", "l.intercept + l.slope * (l.covered + 1.0) / 2.0")} AS rest_mean
        FROM (
            SELECT k.*, (k.s - k.slope * k.st) / k.n AS intercept
            FROM (
                SELECT q.*,
                       CASE WHEN q.elapsed < 1 AND q.n > 1 AND ABS(q.n * q.stt - q.st * q.st) > 1e-12
                            THEN (q.n * q.stv - q.st * q.s) / (q.n * q.stt - q.st * q.st) ELSE 0.0 END
                           AS slope
                FROM (
                    -- t = a * mid2 + b with a = 1 / (2 * year_days), b = 0.5 / year_days
                    SELECT sv.contract_id, sv.contract_year, sv.indicator_id, sv.school_id, sv.n, sv.s,
                           i.aggregation, i.unit, i.min_value, i.max_value,
                           COALESCE(ew.enrolment, cs.enrolment) AS enrolment, w.elapsed, w.last_school_t,
                           {_SCHOOL_VALUE.format("sv")} AS value,
                           CASE WHEN i.aggregation = 'sum' AND w.elapsed < 1 THEN sh.share ELSE 1.0 END
                               AS share,
                           COALESCE(c.s, {_SCHOOL_VALUE.format("sv")}) AS cut,
                           {clamp.format("((sv.last_pe + 1.0) / w.year_days)")} AS covered,
                           sv.sm / (2.0 * w.year_days) + sv.n * 0.5 / w.year_days AS st,
                           sv.smm / (4.0 * w.year_days * w.year_days)
                               + sv.sm * 0.5 / (w.year_days * w.year_days)
                               + sv.n * 0.25 / (w.year_days * w.year_days) AS stt,
                           sv.smv / (2.0 * w.year_days) + sv.s * 0.5 / w.year_days AS stv
                    FROM engine_sv sv
                    JOIN engine_window w
                      ON w.contract_id = sv.contract_id AND w.contract_year = sv.contract_year
                    JOIN indicators_indicator i ON i.id = sv.indicator_id
                    JOIN engine_member cs ON cs.contract_id = sv.contract_id AND cs.school_id = sv.school_id
                    LEFT JOIN engine_weight ew ON ew.contract_id = sv.contract_id
                         AND ew.contract_year = sv.contract_year AND ew.school_id = sv.school_id
                    LEFT JOIN engine_share sh ON sh.contract_id = sv.contract_id
                         AND sh.contract_year = sv.contract_year AND sh.pe = sv.last_pe
                    LEFT JOIN engine_cut c ON c.contract_id = sv.contract_id
                         AND c.contract_year = sv.contract_year AND c.indicator_id = sv.indicator_id
                         AND c.school_id = sv.school_id
                    {fence}
                ) q
                {fence}
            ) k
            {fence}
        ) l
        {fence}
    ) r
    """


# The school values of the kept aggregates (engine_kept) beside those computed from measurements:
# a year that is over projects to its value, so these rows skip the trend of _school_select. Only
# the schools still in the contract count.
_KEPT_SCHOOLS = f"""
    INSERT INTO engine_school
        (contract_id, contract_year, indicator_id, school_id, unit, enrolment, value, projection, share, cut)
    SELECT a.contract_id, a.contract_year, a.indicator_id, a.school_id, i.unit,
           COALESCE(ew.enrolment, cs.enrolment), {_SCHOOL_VALUE.format("a")}, {_SCHOOL_VALUE.format("a")},
           1.0, {_SCHOOL_VALUE.format("a")}
    FROM engine_kept a
    JOIN engine_member cs ON cs.contract_id = a.contract_id AND cs.school_id = a.school_id
    LEFT JOIN engine_weight ew ON ew.contract_id = a.contract_id
         AND ew.contract_year = a.contract_year AND ew.school_id = a.school_id
    JOIN indicators_indicator i ON i.id = a.indicator_id
"""


def _weights_select(dialect):
    """Each school's weight in its cluster for each contract year of the batch: its latest
    `enrolment` measurement of that year (period end inside the window), where there is one; the
    school's recorded enrolment stands in for the rest (a COALESCE where the weights are used).
    Editing a school's enrolment thus leaves the years that have their own measurements alone."""
    if dialect.postgres:
        latest, order = dialect.last_value(), ""
    else:  # the bare column of the row holding the only MAX() of the query
        latest, order = "x.value", ", MAX(x.period_end) AS latest_end"
    return f"""
    SELECT w.contract_id, w.contract_year, cs.school_id, {latest} AS enrolment{order}
    FROM engine_window w
    JOIN engine_member cs ON cs.contract_id = w.contract_id
    JOIN indicators_measurement x
      ON x.school_id = cs.school_id AND x.student_group = 'all'
     AND x.indicator_id = (SELECT id FROM indicators_indicator WHERE code = '{ENROLMENT}')
     AND x.period_end >= w.year_start AND x.period_end <= w.cutoff
    GROUP BY w.contract_id, w.contract_year, cs.school_id
    """


# Per contract year and indicator, the cluster's value and projection from its schools' (the sum
# for counts, else the enrolment-weighted mean), and for a sum in a year under way the share of
# the year's instructional days to the cluster's end of data: the schools' values are then their
# sums cut at that end (engine_cut), and the projection is the sum over that share. The schools
# are added in school order: a floating-point sum depends on the order of its terms (in its last
# bit), and engine_school's order depends on the plan and on which schools' years were kept, so
# without the order a recompute that changes nothing could rewrite a value. A sorted subquery is
# not flattened, and the aggregate above it adds in its order. A table of its own: inside the
# status statement, the sorted output drew the planner into merge joins on part of the key (a
# batch took 4 times as long).
_CLUSTERS = """
    SELECT g.contract_id, g.contract_year, g.indicator_id, g.reporting, g.value,
           CASE WHEN g.too_early > 0 THEN NULL  -- a school too early to project
                WHEN g.end_share IS NULL THEN g.projection
                WHEN g.end_share > 0 THEN g.value / g.end_share END AS projection,
           COALESCE(g.end_share, 1.0) AS share
    FROM (
        SELECT contract_id, contract_year, indicator_id, COUNT(*) AS reporting,
               CASE WHEN MAX(unit) = 'count' THEN SUM(cut)
                    WHEN SUM(enrolment) > 0 THEN SUM(cut * enrolment) / SUM(enrolment)
                    ELSE AVG(cut) END AS value,
               COUNT(*) - COUNT(projection) AS too_early,
               CASE WHEN MAX(unit) = 'count' THEN SUM(projection)
                    WHEN SUM(enrolment) > 0 THEN SUM(projection * enrolment) / SUM(enrolment)
                    ELSE AVG(projection) END AS projection,
               MAX(end_share) AS end_share
        FROM (
            SELECT s.contract_id, s.contract_year, s.indicator_id, s.unit, s.enrolment, s.cut, s.projection,
                   sh.share AS end_share
            FROM engine_school s
            LEFT JOIN engine_end e ON e.contract_id = s.contract_id AND e.contract_year = s.contract_year
                 AND e.indicator_id = s.indicator_id
            LEFT JOIN engine_share sh ON sh.contract_id = e.contract_id AND sh.contract_year = e.contract_year
                 AND sh.pe = e.end_pe
            ORDER BY s.contract_id, s.contract_year, s.indicator_id, s.school_id
        ) s
        GROUP BY contract_id, contract_year, indicator_id
    ) g
"""


def _status_select(dialect, as_of, computed_at):
    """The status rows, from the school values in engine_school and the cluster values in
    engine_cluster, as a SELECT and its parameters."""
    # For a sum in a year under way, the share of the year's instructional days to the end of the
    # row's data (1 elsewhere; without data, the year's baseline and target are shown).
    share = "COALESCE(CASE WHEN t.school_id IS NULL THEN cl.share ELSE schp.share END, 1.0)"
    # Last year's value, for the improvement margin: a cluster's only where every school reported
    # (an incomplete year is no result to improve on).
    previous = (
        "CASE WHEN t.school_id IS NULL THEN (CASE WHEN pcl.reporting >= mc.schools THEN pcl.value END) "
        "ELSE psch.value END"
    )
    sql = f"""
    WITH r AS (
        SELECT t.contract_id, t.indicator_id, t.school_id, t.contract_year,
               CASE t.accountability WHEN 'accountable' THEN 1 = 1 WHEN 'monitored' THEN 1 = 0
                    WHEN 'default' THEN CASE WHEN w.leading_year = 1 THEN i.kind = 'leading'
                                             ELSE i.kind = 'lagging' END
               END AS accountable,
               CASE WHEN t.school_id IS NULL THEN cl.value ELSE schp.value END AS value,
               CASE WHEN i.aggregation = 'sum' AND w.elapsed < 1 THEN {previous} * {share}
                    ELSE {previous} END AS previous,
               w.improvement_margin, CASE WHEN i.direction = 'higher' THEN 1.0 ELSE -1.0 END AS sign,
               CASE WHEN t.school_id IS NULL THEN cl.projection ELSE schp.projection END AS projection,
               CASE WHEN i.aggregation = 'sum' AND w.elapsed < 1 THEN t.baseline * {share}
                    ELSE t.baseline END AS baseline,
               CASE WHEN i.aggregation = 'sum' AND w.elapsed < 1 THEN t.target * {share}
                    ELSE t.target END AS target,
               t.target AS year_target, i.direction, w.on_track_threshold, w.at_risk_threshold,
               CASE WHEN t.school_id IS NULL THEN COALESCE(cl.reporting, 0) END AS schools_reporting,
               CASE WHEN t.school_id IS NULL THEN mc.schools END AS schools_expected
        FROM engine_target t
        JOIN engine_window w ON w.contract_id = t.contract_id AND w.contract_year = t.contract_year
        JOIN indicators_indicator i ON i.id = t.indicator_id
        JOIN (SELECT contract_id, COUNT(*) AS schools FROM engine_member GROUP BY contract_id) mc
          ON mc.contract_id = t.contract_id
        -- plain equi-joins (a NULL school matches no school row), so that they can hash
        LEFT JOIN engine_school schp ON schp.contract_id = t.contract_id
             AND schp.contract_year = t.contract_year AND schp.indicator_id = t.indicator_id
             AND schp.school_id = t.school_id
        LEFT JOIN engine_cluster cl ON cl.contract_id = t.contract_id
             AND cl.contract_year = t.contract_year AND cl.indicator_id = t.indicator_id
        -- the previous contract year's values, for the improvement margin
        LEFT JOIN engine_school psch ON psch.contract_id = t.contract_id
             AND psch.contract_year = t.contract_year - 1 AND psch.indicator_id = t.indicator_id
             AND psch.school_id = t.school_id
        LEFT JOIN engine_cluster pcl ON pcl.contract_id = t.contract_id
             AND pcl.contract_year = t.contract_year - 1 AND pcl.indicator_id = t.indicator_id
    ),
    p AS (
        SELECT r.*,
               CASE WHEN r.value IS NULL THEN NULL
                    WHEN (r.direction = 'higher' AND r.value >= r.target)
                      OR (r.direction = 'lower' AND r.value <= r.target) THEN 1 ELSE 0 END AS meets,
               CASE WHEN r.value IS NULL THEN NULL
                    WHEN r.baseline IS NULL OR r.target = r.baseline THEN
                        CASE WHEN (r.direction = 'higher' AND r.value >= r.target)
                               OR (r.direction = 'lower' AND r.value <= r.target) THEN 1.0 ELSE 0.0 END
                    ELSE (r.value - r.baseline) / (r.target - r.baseline) END AS progress,
               -- closed at least the improvement margin of the gap last year's value left to the target
               CASE WHEN r.improvement_margin > 0 AND r.value IS NOT NULL AND r.previous IS NOT NULL
                     AND r.sign * (r.target - r.previous) > 0
                     AND r.sign * (r.value - r.previous)
                         >= r.improvement_margin * r.sign * (r.target - r.previous)
                    THEN 1 ELSE 0 END AS improved
        FROM r
    )
    SELECT p.contract_id, p.indicator_id, p.school_id, p.contract_year, p.accountable,
           {dialect.date_param()} AS as_of, p.value, p.baseline, p.target, p.progress,
           CASE WHEN p.value IS NULL THEN 'no_data'
                WHEN p.schools_reporting < p.schools_expected THEN 'incomplete'
                WHEN p.progress >= 1 OR p.meets = 1 THEN 'met'
                WHEN p.progress >= p.on_track_threshold THEN 'on_track'
                WHEN p.improved = 1 THEN 'on_track'
                WHEN p.progress >= p.at_risk_threshold THEN 'at_risk'
                ELSE 'off_track' END AS status,
           CASE WHEN p.value IS NULL OR p.schools_reporting < p.schools_expected THEN 1 = 0
                WHEN p.progress >= 1 OR p.meets = 1 OR p.progress >= p.on_track_threshold THEN 1 = 0
                ELSE p.improved = 1 END AS by_improvement,
           p.projection,
           CASE WHEN p.projection IS NULL THEN NULL
                WHEN (p.direction = 'higher' AND p.projection >= p.year_target)
                  OR (p.direction = 'lower' AND p.projection <= p.year_target) THEN TRUE ELSE FALSE END
               AS projected_to_meet,
           p.schools_reporting, p.schools_expected,
           {dialect.date_param("timestamptz")} AS computed_at
    FROM p
    """
    return sql, [_adapt_date(as_of), _adapt_datetime(computed_at)]


# The status rows of engine_row with their latest evidence: per target and scope, the latest
# contract year up to the row's own whose status rests on complete data (not no_data, not
# incomplete), and that year's status. A handful of rows per key (one per contract year), so the
# self-joins stay small; the scope's NULL school is matched as 0.
_EVIDENCE = """
    SELECT r.*, ev.evidence_year, COALESCE(e.status, '') AS evidence_status
    FROM engine_row r
    LEFT JOIN (
        SELECT a.contract_id, a.indicator_id, COALESCE(a.school_id, 0) AS scope, a.contract_year,
               MAX(b.contract_year) AS evidence_year
        FROM engine_row a
        JOIN engine_row b
          ON b.contract_id = a.contract_id AND b.indicator_id = a.indicator_id
         AND COALESCE(b.school_id, 0) = COALESCE(a.school_id, 0)
         AND b.contract_year <= a.contract_year AND b.status NOT IN ('no_data', 'incomplete')
        GROUP BY a.contract_id, a.indicator_id, COALESCE(a.school_id, 0), a.contract_year
    ) ev ON ev.contract_id = r.contract_id AND ev.indicator_id = r.indicator_id
        AND ev.scope = COALESCE(r.school_id, 0) AND ev.contract_year = r.contract_year
    LEFT JOIN engine_row e
      ON e.contract_id = r.contract_id AND e.indicator_id = r.indicator_id
     AND COALESCE(e.school_id, 0) = COALESCE(r.school_id, 0) AND e.contract_year = ev.evidence_year
"""


STATUS_COLUMNS = (
    "contract_id, indicator_id, school_id, contract_year, accountable, as_of, value, baseline, target, "
    "progress, status, by_improvement, projection, projected_to_meet, schools_reporting, schools_expected, "
    "evidence_year, evidence_status, computed_at"
)
CHANGING = (
    "accountable",
    "as_of",
    "value",
    "baseline",
    "target",
    "progress",
    "status",
    "by_improvement",
    "projection",
    "projected_to_meet",
    "schools_reporting",
    "schools_expected",
    "evidence_year",
    "evidence_status",
)


def _compute(cursor, dialect, windows, as_of, computed_at, verified_only=False, keep=True):
    """The status rows of the windows into the temporary table engine_status (and the stages
    before it). With `keep`, keeps the aggregates of the years that are over (never those of
    verified values only)."""
    use_kept = dialect.postgres and not verified_only  # the kept aggregates count every value
    keep = keep and use_kept
    school_days = _SchoolDays(windows)
    _stage_inputs(cursor, dialect, windows, school_days, keep)
    # Not analysed: PostgreSQL sizes a fresh table from its pages, which is enough for the plans
    # of the next statements (an ANALYZE of each cost more than it saved; bench/recompute.py).
    any_kept = False
    if use_kept:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM engine_kept)")
        any_kept = cursor.fetchone()[0]
    cursor.execute("DROP TABLE IF EXISTS engine_sv")
    cursor.execute(dialect.temp_table("engine_sv", _aggregate_select(dialect, verified_only, any_kept)))
    if keep:
        _keep_aggregates(cursor)
    _stage_ends(cursor, dialect, windows, school_days, verified_only)
    cursor.execute("DROP TABLE IF EXISTS engine_weight")
    cursor.execute(dialect.temp_table("engine_weight", _weights_select(dialect)))
    if dialect.postgres:
        # From here on, hash joins only: every input is a temporary table of the batch, and the
        # planner's guesses about them (no statistics but the windows', targets' and shares')
        # chose nested loops that re-read a table for every row of another (a batch of 50
        # contracts: 4 s instead of 40 ms for the statuses; the school values of a batch of 250
        # re-read the shares 15,000 times, 0.6 s instead of 0.03 s), or merge joins on half the
        # key (4 times as long). The passes over the measurements above need their index.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("DROP TABLE IF EXISTS engine_school")
    cursor.execute(dialect.temp_table("engine_school", _school_select(dialect)))
    if use_kept:
        cursor.execute(_KEPT_SCHOOLS)
    cursor.execute("DROP TABLE IF EXISTS engine_cluster")
    cursor.execute(dialect.temp_table("engine_cluster", _CLUSTERS))
    select_sql, params = _status_select(dialect, as_of, computed_at)
    cursor.execute("DROP TABLE IF EXISTS engine_row")
    cursor.execute("DROP TABLE IF EXISTS engine_status")
    cursor.execute(dialect.temp_table("engine_row", select_sql), params)
    cursor.execute(dialect.temp_table("engine_status", _EVIDENCE))
    if dialect.postgres:
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        cursor.execute("SET LOCAL enable_mergejoin TO DEFAULT")


class _Discard(Exception):
    """Rolls back evaluate()'s savepoint: its temporary tables go, nothing is written."""


def evaluate(contract_ids, as_of=None, verified_only=False):
    """The status rows the engine would write for these contracts on a date, computed by the same
    statements but not written: for a review's evidence, optionally from verified values only.
    Returns dicts with the columns of IndicatorStatus (ids for the foreign keys)."""
    as_of = as_of or timezone.localdate()
    dialect = Dialect(connection.vendor)
    windows = []
    for contract in PerformanceContract.objects.filter(pk__in=contract_ids).only(*WINDOW_FIELDS):
        windows.extend(contract_windows(contract, as_of)[0])
    if not windows:
        return []
    rows = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _compute(cursor, dialect, windows, as_of, timezone.now(), verified_only, keep=False)
            cursor.execute(
                f"SELECT {STATUS_COLUMNS} FROM engine_status "
                "ORDER BY contract_id, contract_year, indicator_id, school_id"
            )
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            raise _Discard
    except _Discard:
        pass
    return rows


def _write_statuses(cursor, dialect):
    """Upsert the rows of engine_status into the status table, skipping unchanged rows."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in CHANGING + ("computed_at",))
    changed = " OR ".join(
        f"s.{c} IS DISTINCT FROM excluded.{c}" if dialect.postgres else f"s.{c} IS NOT excluded.{c}"
        for c in CHANGING
    )
    for where, key in (
        ("school_id IS NOT NULL", "contract_id, indicator_id, contract_year, school_id"),
        ("school_id IS NULL", "contract_id, indicator_id, contract_year"),
    ):
        cursor.execute(
            f"""
            INSERT INTO indicators_indicatorstatus AS s ({STATUS_COLUMNS})
            SELECT {STATUS_COLUMNS} FROM engine_status WHERE {where}
            ON CONFLICT ({key}) WHERE {where} DO UPDATE SET {updates} WHERE {changed}
            """
        )
    cursor.execute("SELECT COUNT(*) FROM engine_status")
    return cursor.fetchone()[0]


def _delete_stale(cursor, contract_ids, have_statuses):
    """Drop the status rows of these contracts that this run did not produce (a target removed, a
    contract back before its start)."""
    if not contract_ids:
        return
    placeholders = ", ".join(["%s"] * len(contract_ids))
    if not have_statuses:
        cursor.execute(
            f"DELETE FROM indicators_indicatorstatus WHERE contract_id IN ({placeholders})", contract_ids
        )
        return
    cursor.execute(
        f"""
        DELETE FROM indicators_indicatorstatus
        WHERE contract_id IN ({placeholders})
          AND NOT EXISTS (
              SELECT 1 FROM engine_status e
              WHERE e.contract_id = indicators_indicatorstatus.contract_id
                AND e.indicator_id = indicators_indicatorstatus.indicator_id
                AND e.contract_year = indicators_indicatorstatus.contract_year
                AND (e.school_id = indicators_indicatorstatus.school_id
                     OR (e.school_id IS NULL AND indicators_indicatorstatus.school_id IS NULL))
          )
        """,
        contract_ids,
    )


def _write_performance(cursor, dialect, current, as_of, computed_at):
    """Each contract's performance status: pre_launch before the start, else the worst latest
    evidence of the accountable targets of its current year (met counts as on track), else
    no_data; and its basis, the contract years that evidence comes from ("3,4")."""
    if not current:
        return
    values, params = _values(
        dialect, [(pk, year, 1 if year else 0) for pk, year in current.items()], casts={1: "integer"}
    )
    if dialect.postgres:
        basis = "STRING_AGG(DISTINCT st.evidence_year::text, ',' ORDER BY st.evidence_year::text)"
    else:  # SQLite's GROUP_CONCAT has no ORDER BY before 3.44: it follows an ordered subquery
        basis = """(SELECT GROUP_CONCAT(y, ',') FROM (
                        SELECT DISTINCT e.evidence_year AS y FROM indicators_indicatorstatus e
                        WHERE e.contract_id = cur.contract_id AND e.contract_year = cur.contract_year
                          AND e.accountable AND e.evidence_year IS NOT NULL ORDER BY y))"""
    cursor.execute(
        f"""
        WITH cur (contract_id, contract_year, started) AS (VALUES {values})
        INSERT INTO indicators_contractperformance
            (contract_id, performance_status, contract_year, basis, as_of, computed_at)
        SELECT cur.contract_id,
               CASE WHEN cur.started = 0 THEN 'pre_launch'
                    WHEN SUM(CASE WHEN st.evidence_status = 'off_track' THEN 1 ELSE 0 END) > 0
                        THEN 'off_track'
                    WHEN SUM(CASE WHEN st.evidence_status = 'at_risk' THEN 1 ELSE 0 END) > 0
                        THEN 'at_risk'
                    WHEN SUM(CASE WHEN st.evidence_status IN ('on_track', 'met') THEN 1 ELSE 0 END) > 0
                        THEN 'on_track'
                    ELSE 'no_data' END,
               cur.contract_year,
               CASE WHEN cur.started = 0 THEN '' ELSE COALESCE({basis}, '') END,
               {dialect.date_param()}, {dialect.date_param("timestamptz")}
        FROM cur
        LEFT JOIN indicators_indicatorstatus st
               ON st.contract_id = cur.contract_id AND st.contract_year = cur.contract_year AND st.accountable
        WHERE TRUE
        GROUP BY cur.contract_id, cur.contract_year, cur.started
        ON CONFLICT (contract_id) DO UPDATE SET
            performance_status = excluded.performance_status, contract_year = excluded.contract_year,
            basis = excluded.basis, as_of = excluded.as_of, computed_at = excluded.computed_at
        """,
        params + [_adapt_date(as_of), _adapt_datetime(computed_at)],
    )
