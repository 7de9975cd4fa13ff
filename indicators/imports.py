"""Measurement import from CSV and XLSX: every row checked first, then all rows or none.

The checks (`validate`) and the upsert (`write_measurements`) are shared with the REST API's
measurements endpoint, which sends the same columns as JSON objects.

Columns: school_id (the school's state/NCES id), indicator (its code), period_start, period_end
(ISO 8601 dates), value; optionally student_group (default "all"). A header row names them, in
any order. Any bad row rejects the whole file, and the import record lists every bad row with its
line number and reason; a clean file is upserted in one transaction. Either way the import is
recorded (who, when, file name, counts, errors).
"""

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from schools.models import School
from turnaround.roles import viewer_for

from .models import (
    COMPUTED_INDICATORS,
    MEASUREMENT_KEY,
    ImportStatus,
    Indicator,
    Measurement,
    MeasurementImport,
    Source,
    StudentGroup,
    Verification,
)
from .signals import contracts_of_schools
from .tasks import schedule_recompute

REQUIRED_COLUMNS = ["school_id", "indicator", "period_start", "period_end", "value"]
OPTIONAL_COLUMNS = ["student_group"]
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_STORED_ERRORS = 1000
EARLIEST = date(2000, 1, 1)
MAX_PERIOD_DAYS = 366
# A period may end a little in the future (a month still under way), not more.
FUTURE_GRACE = timedelta(days=31)


class ImportRefused(Exception):
    """The whole file is unusable (format, size, columns, permission)."""


@dataclass
class Row:
    line: int
    school: School
    indicator: Indicator
    period_start: date
    period_end: date
    student_group: str
    value: float

    @property
    def key(self):
        return (self.school.pk, self.indicator.pk, self.period_start, self.period_end, self.student_group)


def can_import(user):
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_district or viewer.is_program


def import_measurements(file_obj, file_name, user, channel):
    """Check and apply one file; returns its MeasurementImport (applied or rejected)."""
    record = MeasurementImport(uploaded_by=user, file_name=file_name[:255], channel=channel)
    try:
        if not can_import(user):
            raise ImportRefused("Only district staff and Lead Partner program staff can import measurements.")
        raw_rows = read_rows(file_obj, file_name)
        rows, errors = validate(raw_rows, user)
    except ImportRefused as refusal:
        rows, errors = [], [{"line": None, "column": None, "message": str(refusal)}]
        raw_rows = []
    record.rows_total = len(raw_rows)
    if errors:
        record.status = ImportStatus.REJECTED
        record.errors = errors[:MAX_STORED_ERRORS]
        if len(errors) > MAX_STORED_ERRORS:
            record.errors.append(
                {
                    "line": None,
                    "column": None,
                    "message": f"... and {len(errors) - MAX_STORED_ERRORS} more errors.",
                }
            )
        record.save()
        return record
    with transaction.atomic():
        record.status = ImportStatus.APPLIED
        record.save()
        created, updated, unchanged = write_measurements(
            rows, user, source=Source.IMPORT, import_batch=record
        )
        record.rows_created, record.rows_updated, record.rows_unchanged = created, updated, unchanged
        record.save(update_fields=["rows_created", "rows_updated", "rows_unchanged"])
    return record


@transaction.atomic
def write_measurements(rows, user, *, source, import_batch=None):
    """Upsert checked rows (from `validate`) in one transaction and schedule one recompute of the
    contracts they touch, each contract once. The file import and the REST API both write here.
    Returns (created, updated, unchanged)."""
    created, updated, unchanged = apply(rows, user, import_batch, source=source)
    if created or updated:
        schedule_recompute(contracts_of_schools({r.school.pk for r in rows}))
    return created, updated, unchanged


# reading ----------------------------------------------------------------------------------------
def read_rows(file_obj, file_name):
    """[(line number, {column: raw value})] from a CSV or XLSX file."""
    data = file_obj.read()
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
    name = file_name.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _csv_table(data)
    else:
        raise ImportRefused("Upload a .csv or an .xlsx file.")
    header, body = _header(table)
    rows = []
    for line, cells in body:
        if all(c is None or str(c).strip() == "" for c in cells):
            continue  # blank line
        rows.append((line, {name: (cells[i] if i < len(cells) else None) for name, i in header.items()}))
        if len(rows) > MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows; split it.")
    return rows


def _csv_table(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused("The CSV file is not UTF-8 text.") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(reader.line_num, row) for row in reader]


def _xlsx_table(data):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        raise ImportRefused("The file is not a readable .xlsx workbook.") from error
    sheet = workbook.worksheets[0]
    table = [(index, list(row)) for index, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    workbook.close()
    return table


def _header(table):
    if not table:
        raise ImportRefused("The file is empty.")
    (_, header_cells), body = table[0], table[1:]
    names = [str(c).strip().lower() if c is not None else "" for c in header_cells]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ImportRefused(
            f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The first row must name the columns {', '.join(REQUIRED_COLUMNS)}."
        )
    unknown = [n for n in names if n and n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise ImportRefused(f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
    return {name: names.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in names}, body


# checking ---------------------------------------------------------------------------------------
def validate(raw_rows, user):
    """(rows, errors): every row checked, every error kept."""
    state_ids = {str(cells.get("school_id") or "").strip() for _, cells in raw_rows}
    schools = {s.state_id: s for s in School.objects.filter(state_id__in=state_ids)}
    visible = set(School.objects.visible_to(user).filter(state_id__in=state_ids).values_list("pk", flat=True))
    indicators = {i.code: i for i in Indicator.objects.all()}
    today = timezone.localdate()
    rows, errors, seen = [], [], {}
    for line, cells in raw_rows:
        problems = []

        def problem(column, message, problems=problems, line=line):
            problems.append({"line": line, "column": column, "message": message})

        state_id = str(cells.get("school_id") or "").strip()
        school = schools.get(state_id)
        if not state_id:
            problem("school_id", "No school id.")
        elif school is None:
            problem("school_id", f"No school has the id {state_id}.")
        elif school.pk not in visible:
            problem("school_id", f"The school {state_id} is not one of your schools.")
        code = str(cells.get("indicator") or "").strip()
        indicator = indicators.get(code)
        if indicator is None:
            problem("indicator", f"Unknown indicator {code!r}." if code else "No indicator.")
        elif code in COMPUTED_INDICATORS:
            problem(
                "indicator",
                f"{indicator.name} is computed by the portal (from field visits); it cannot be imported.",
            )
            indicator = None
        start = _date(cells.get("period_start"), "period_start", problem)
        end = _date(cells.get("period_end"), "period_end", problem)
        if start and end:
            if end < start:
                problem("period_end", f"The period ends ({end}) before it starts ({start}).")
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                problem("period_end", f"The period is longer than a year ({(end - start).days + 1} days).")
            if start < EARLIEST:
                problem("period_start", f"{start} is before {EARLIEST}.")
            if end > today + FUTURE_GRACE:
                problem("period_end", f"{end} is too far in the future.")
        group = str(cells.get("student_group") or "").strip() or StudentGroup.ALL
        if group not in StudentGroup.values:
            problem(
                "student_group",
                f"Unknown student group {group!r} (one of: {', '.join(StudentGroup.values)}).",
            )
        value = parse_value(cells.get("value"), indicator, problem)
        if problems:
            errors.extend(problems)
            continue
        row = Row(line, school, indicator, start, end, group, value)
        if row.key in seen:
            errors.append(
                {
                    "line": line,
                    "column": None,
                    "message": f"Same school, indicator, period and group as line {seen[row.key]}.",
                }
            )
            continue
        seen[row.key] = line
        rows.append(row)
    return rows, errors


def _date(raw, column, problem):
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        problem(column, f"No {column.replace('_', ' ')}.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problem(column, f"{text!r} is not a date in the form YYYY-MM-DD.")
        return None


def parse_value(raw, indicator, problem):
    """A number within the indicator's plausible range, or None after `problem(column, message)`:
    the file import's check of a value, also that of a corrected value (indicators/verification.py)."""
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw or "").strip()
        if not text:
            problem("value", "No value.")
            return None
        try:
            value = float(text)
        except ValueError:
            problem("value", f"{text!r} is not a number.")
            return None
    if not math.isfinite(value):
        problem("value", "The value is not a finite number.")
        return None
    if indicator is not None:
        unit = f" ({indicator.get_unit_display()})" if indicator.unit != "count" else ""
        if indicator.min_value is not None and value < indicator.min_value:
            problem(
                "value",
                f"{value:g} is below the smallest {indicator.name.lower()}, {indicator.min_value:g}{unit}.",
            )
        if indicator.max_value is not None and value > indicator.max_value:
            problem(
                "value",
                f"{value:g} is above the largest {indicator.name.lower()}, {indicator.max_value:g}{unit}.",
            )
    return value


# writing ----------------------------------------------------------------------------------------
def apply(rows, user, record, source=Source.IMPORT):
    """Upsert the rows; unchanged values are not written at all. Returns (created, updated, unchanged).

    A changed value goes back to "reported" (the district verifies the new figure); an unchanged
    one keeps its verification."""
    existing = {}
    school_ids = {r.school.pk for r in rows}
    indicator_ids = {r.indicator.pk for r in rows}
    starts = [r.period_start for r in rows]
    for m in Measurement.objects.filter(
        school_id__in=school_ids,
        indicator_id__in=indicator_ids,
        period_start__gte=min(starts),
        period_start__lte=max(starts),
    ).only("pk", "school_id", "indicator_id", "period_start", "period_end", "student_group", "value"):
        existing[(m.school_id, m.indicator_id, m.period_start, m.period_end, m.student_group)] = m
    now = timezone.now()
    to_write, created, updated = [], 0, 0
    for row in rows:
        current = existing.get(row.key)
        if current is not None and current.value == row.value:
            continue
        if current is None:
            created += 1
        else:
            updated += 1
        to_write.append(
            Measurement(
                school=row.school,
                indicator=row.indicator,
                period_start=row.period_start,
                period_end=row.period_end,
                student_group=row.student_group,
                value=row.value,
                source=source,
                supplied_by=user,
                import_batch=record,
                verification=Verification.REPORTED,
                dispute_reason="",
                verified_by=None,
                verified_at=None,
                created_at=now,
                updated_at=now,
            )
        )
    if to_write:
        Measurement.objects.bulk_create(
            to_write,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=list(MEASUREMENT_KEY),
            update_fields=[
                "value",
                "source",
                "supplied_by",
                "import_batch",
                "verification",
                "dispute_reason",
                "verified_by",
                "verified_at",
                "updated_at",
            ],
        )
    return created, updated, len(rows) - created - updated
