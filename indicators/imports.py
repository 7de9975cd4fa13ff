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
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.parsers import expat

from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.utils import timezone

from schools.models import School

from .models import (
    COMPUTED_INDICATORS,
    MEASUREMENT_KEY,
    ImportStatus,
    Indicator,
    Measurement,
    MeasurementEvent,
    MeasurementImport,
    Source,
    StudentGroup,
    Verification,
)
from .signals import contracts_of_schools
from .tasks import schedule_recompute
from .write_rule import WriteRule, may_write_measurements

REQUIRED_COLUMNS = ["school_id", "indicator", "period_start", "period_end", "value"]
OPTIONAL_COLUMNS = ["student_group"]
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_STORED_ERRORS = 1000
# No indicator's value comes near this (a count of incidents, an enrolment); sums of a year's
# values over a state's schools stay far from a float's limits.
MAX_ABS_VALUE = 1_000_000_000
EARLIEST = date(2000, 1, 1)
MAX_PERIOD_DAYS = 366
# A period may end a little in the future (a month still under way), not more.
FUTURE_GRACE = timedelta(days=31)


class RowsRefused(Exception):
    """Rows refused at write time, under the rows' locks: [{line, column, message}]."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


class ImportRefused(Exception):
    """The whole file is unusable (format, size, limits, columns, permission)."""

    def __init__(self, message, line=None, column=None):
        super().__init__(message)
        self.line, self.column = line, column


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
    return may_write_measurements(user)


def import_measurements(file_obj, file_name, user, channel):
    """Check and apply one file; returns its MeasurementImport (applied or rejected)."""
    record = MeasurementImport(uploaded_by=user, file_name=file_name[:255], channel=channel)
    try:
        if not can_import(user):
            raise ImportRefused("Only district staff and Lead Partner program staff can import measurements.")
        raw_rows = read_rows(file_obj, file_name)
        rows, errors = validate(raw_rows, user)
    except ImportRefused as refusal:
        rows, errors = [], [{"line": refusal.line, "column": refusal.column, "message": str(refusal)}]
        raw_rows = []
    record.rows_total = len(raw_rows)
    if not errors:
        try:
            with transaction.atomic():
                record.status = ImportStatus.APPLIED
                record.save()
                created, updated, unchanged = write_measurements(
                    rows, user, source=Source.IMPORT, import_batch=record
                )
                record.rows_created, record.rows_updated, record.rows_unchanged = created, updated, unchanged
                record.save(update_fields=["rows_created", "rows_updated", "rows_unchanged"])
            return record
        except RowsRefused as refused:  # a value verified since the check: nothing was written
            errors = refused.errors
            record.pk, record._state.adding = None, True
    record.status = ImportStatus.REJECTED
    record.rows_created = record.rows_updated = record.rows_unchanged = 0
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


@transaction.atomic
def write_measurements(rows, user, *, source, import_batch=None):
    """Upsert checked rows (from `validate`) in one transaction and schedule one recompute of the
    contracts they touch, each contract once. The file import and the REST API both write here.
    Returns (created, updated, unchanged); raises RowsRefused (nothing written) where a value
    became one the user may not change since `validate` checked it."""
    created, updated, unchanged = apply(rows, user, import_batch, source=source)
    if created or updated:
        schedule_recompute(contracts_of_schools({r.school.pk for r in rows}))
    return created, updated, unchanged


# reading ----------------------------------------------------------------------------------------
# Every limit holds before the data it guards is parsed: the bytes are counted as they are read
# (never the whole upload first), rows are counted as they stream (blank lines count towards the
# limit, then are skipped), a CSV row and field are bounded before the csv module materialises
# them, and a workbook's sizes are checked on the zip directory, on the sheet's XML (one streaming
# pass) and on the sheet's declared dimension before openpyxl reads a row.
MB = 1024 * 1024
MAX_COLUMNS = 50
MAX_FIELD_CHARS = 255
MAX_ROW_CHARS = 4096  # one CSV row, quoted line breaks included
MAX_XLSX_UNZIPPED_BYTES = 100 * MB  # all the workbook's parts, decompressed
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_CELLS_PER_ROW = 1000  # cells written in one row of the sheet's XML (styled empty ones too)
MAX_XLSX_OTHER_ELEMENTS = 100_000  # a sheet's elements outside its rows (columns, views, merges, ...)
READ_CHUNK = 64 * 1024


def _size_text(size):
    return f"{size // MB} MB" if size >= MB else f"{size:,} bytes"


def _too_large():
    return ImportRefused(f"The file is larger than {_size_text(MAX_BYTES)}; split it.")


class LimitedUploadHandler(FileUploadHandler):
    """First of a request's upload handlers on the import endpoints: passes on at most MAX_BYTES + 1
    bytes of a file to the handlers that store it (memory or a temporary file), so an oversized
    upload costs neither memory nor disk; the import then refuses it as larger than the limit, and
    records why. The rest of the request body is read and dropped."""

    def receive_data_chunk(self, raw_data, start):
        room = MAX_BYTES + 1 - start
        if room <= 0:
            return None
        return raw_data[:room]

    def file_complete(self, file_size):
        return None


class _ByteLimit(io.RawIOBase):
    """A read-only view of a file that refuses to read past MAX_BYTES."""

    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.count += len(data)
        if self.count > MAX_BYTES:
            raise _too_large()
        buffer[: len(data)] = data
        return len(data)


def _known_size(file_obj):
    """The file's size when it can be known without reading it (an upload's size, a seekable
    file's end), else None."""
    size = getattr(file_obj, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = file_obj.tell()
        size = file_obj.seek(0, io.SEEK_END)
        file_obj.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def read_rows(file_obj, file_name):
    """[(line number, {column: raw value})] from a CSV or XLSX file: the non-blank rows under the
    header. Raises ImportRefused for a file past a limit or that cannot be read."""
    name = file_name.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _csv_table
    else:
        raise ImportRefused("Upload a .csv or an .xlsx file.")
    size = _known_size(file_obj)
    if size is not None and size > MAX_BYTES:
        raise _too_large()
    rows, header, counted = [], None, 0
    for line, cells in table(file_obj):
        if len(cells) > MAX_COLUMNS and any(c not in (None, "") for c in cells[MAX_COLUMNS:]):
            raise ImportRefused(f"Line {line} has more than {MAX_COLUMNS} columns.", line=line)
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_FIELD_CHARS:
                raise ImportRefused(
                    f"Line {line} has a field longer than {MAX_FIELD_CHARS} characters.", line=line
                )
        if header is None:
            header = _header(cells)
            continue
        counted += 1  # blank lines count towards the limit too (then are skipped)
        if counted > MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows (blank lines count); split it.")
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append((line, {name: (cells[i] if i < len(cells) else None) for name, i in header.items()}))
    if header is None:
        raise ImportRefused("The file is empty.")
    return rows


class _RowFeed:
    """The lines of a text stream for csv.reader, each read with a bound: one row (its physical
    lines, when a quoted field holds line breaks) may not pass MAX_ROW_CHARS, so no line, field or
    row is ever held whole beyond that."""

    def __init__(self, text):
        self.text, self.line, self.used = text, 0, 0

    def __iter__(self):
        return self

    def __next__(self):
        try:
            line = self.text.readline(MAX_ROW_CHARS + 2)
        except UnicodeDecodeError as error:
            raise ImportRefused(f"The CSV file is not UTF-8 text (line {self.line + 1}).") from error
        if not line:
            raise StopIteration
        self.line += 1
        self.used += len(line.rstrip("\r\n"))
        if self.used > MAX_ROW_CHARS:
            raise ImportRefused(
                f"Line {self.line} is longer than {MAX_ROW_CHARS:,} characters.", line=self.line
            )
        return line

    def row_done(self):
        self.used = 0


def _csv_table(file_obj):
    text = io.TextIOWrapper(io.BufferedReader(_ByteLimit(file_obj)), encoding="utf-8-sig", newline="")
    feed = _RowFeed(text)
    reader = csv.reader(feed)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = f"Line {feed.line} cannot be read as CSV: {error}."
            raise ImportRefused(message, line=feed.line) from error
        feed.row_done()
        yield reader.line_num, cells


def _xlsx_table(file_obj):
    """The first sheet's rows, read lazily in read-only mode (values only), after the checks."""
    from openpyxl import load_workbook

    size = _known_size(file_obj)
    if size is None:  # not seekable: read it (bounded) into memory
        file_obj = io.BytesIO(io.BufferedReader(_ByteLimit(file_obj)).read())
    _check_zip(file_obj)
    try:
        workbook = load_workbook(file_obj, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        raise ImportRefused("The file is not a readable .xlsx workbook.") from error
    try:
        if not workbook.worksheets:
            raise ImportRefused("The workbook has no sheet.")
        sheet = workbook.worksheets[0]
        try:
            declared_rows, declared_columns = sheet.max_row, sheet.max_column
        except Exception as error:
            raise ImportRefused(f"The sheet {sheet.title!r} cannot be read.") from error
        if (declared_rows or 0) > MAX_ROWS + 1 or (declared_columns or 0) > MAX_COLUMNS:
            raise ImportRefused(
                f"The sheet {sheet.title!r} declares {declared_rows or 0:,} rows and "
                f"{declared_columns or 0:,} columns; at most {MAX_ROWS + 1:,} rows (the header "
                f"included) and {MAX_COLUMNS} columns can be imported."
            )
        # The declared size is not trusted beyond this point: openpyxl would pad every row to the
        # declared width and stop at the declared height. Rows are read to the end, each to one
        # column past the limit (a value there is refused by read_rows).
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        index = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except ImportRefused:
                raise
            except Exception as error:
                raise ImportRefused(
                    f"Row {index + 1} of the sheet {sheet.title!r} cannot be read.", line=index + 1
                ) from error
            index += 1
            yield index, list(row)
    finally:
        workbook.close()


def _check_zip(file_obj):
    """The zip directory, before anything is decompressed: a workbook's parts may not decompress
    past MAX_XLSX_UNZIPPED_BYTES (a zip member cannot yield more than the size it declares); then
    one streaming pass over each XML part: well-formed, no DTD (no entity expansion), and for the
    sheets at most MAX_ROWS + 1 rows, MAX_XLSX_CELLS_PER_ROW cells a row and MAX_XLSX_OTHER_ELEMENTS
    other elements (openpyxl holds a row whole, and reads every sheet's head when it opens the
    workbook, before any limit of ours could apply)."""
    try:
        with zipfile.ZipFile(file_obj) as archive:
            members = archive.infolist()
            if len(members) > MAX_XLSX_MEMBERS:
                raise ImportRefused(f"The workbook has more than {MAX_XLSX_MEMBERS:,} parts.")
            if sum(m.file_size for m in members) > MAX_XLSX_UNZIPPED_BYTES:
                raise ImportRefused(
                    f"The workbook decompresses to more than {_size_text(MAX_XLSX_UNZIPPED_BYTES)}; split it."
                )
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    sheet = member.filename.startswith("xl/worksheets/")
                    with archive.open(member) as part:
                        _scan_xml(part, member.filename, sheet=sheet)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise ImportRefused("The file is not a readable .xlsx workbook.") from error
    file_obj.seek(0)


def _scan_xml(stream, what, sheet=False):
    parser = expat.ParserCreate()
    counts = {"rows": 0, "cells": 0, "other": 0, "in_row": False}

    def start(tag, attributes):
        if not sheet:
            return
        local = tag.rpartition(":")[2]
        if local == "row":
            counts["rows"] += 1
            counts["cells"], counts["in_row"] = 0, True
            if counts["rows"] > MAX_ROWS + 1:
                raise ImportRefused(f"The sheet {what} has more than {MAX_ROWS:,} rows; split it.")
        elif local == "c":
            counts["cells"] += 1
            if counts["cells"] > MAX_XLSX_CELLS_PER_ROW:
                raise ImportRefused(
                    f"Row {counts['rows']} of the sheet {what} has more than "
                    f"{MAX_XLSX_CELLS_PER_ROW:,} cells."
                )
        elif not counts["in_row"]:
            counts["other"] += 1
            if counts["other"] > MAX_XLSX_OTHER_ELEMENTS:
                raise ImportRefused(
                    f"The sheet {what} has more than {MAX_XLSX_OTHER_ELEMENTS:,} elements outside its rows."
                )

    def end(tag):
        if tag.rpartition(":")[2] == "row":
            counts["in_row"] = False

    def refuse_dtd(*args):
        raise ImportRefused(f"The workbook is not a plain .xlsx file ({what} declares a DTD).")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    try:
        while chunk := stream.read(READ_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise ImportRefused(
            f"The workbook is damaged: {what} is not well-formed XML (line {error.lineno})."
        ) from error
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        raise ImportRefused(f"The workbook is damaged: {what} cannot be decompressed.") from error


def _header(header_cells):
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
    return {name: names.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in names}


# checking ---------------------------------------------------------------------------------------
def validate(raw_rows, user):
    """(rows, errors): every row checked, every error kept."""
    state_ids = {str(cells.get("school_id") or "").strip() for _, cells in raw_rows}
    # Only the schools the user sees: any other id is answered as unknown (nothing tells that it
    # exists); then the write rule (indicators/write_rule.py) for the school and period.
    schools = {s.state_id: s for s in School.objects.visible_to(user).filter(state_id__in=state_ids)}
    rule = WriteRule(user)
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
            if school is not None and (refusal := rule.refusal(school, end)):
                problem("school_id", refusal)
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
    if rows:
        errors.extend(overwrite_errors(rows, existing_measurements(rows), rule))
        errors.sort(key=lambda error: error["line"] if error["line"] is not None else -1)
    return rows, errors


def overwrite_errors(rows, existing, rule):
    """The rows that would change a value the user may not change (indicators/write_rule.py)."""
    errors = []
    for row in rows:
        current = existing.get(row.key)
        if current is not None and (refusal := rule.overwrite_refusal(current, row.value)):
            errors.append({"line": row.line, "column": "value", "message": refusal})
    return errors


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
    the check of a value on every path that writes one (file import, API, a corrected value in
    indicators/verification.py, the admin through Measurement.clean). Not a finite number, or
    past MAX_ABS_VALUE whatever the indicator (counts have no largest value), is refused: a
    value like 1e308 would overflow the engine's sums in the nightly recompute."""
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer past any float (a JSON number of 400 digits)
            value = math.inf
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
    if abs(value) > MAX_ABS_VALUE:
        problem("value", f"{value:g} is past the largest value the portal stores ({MAX_ABS_VALUE:,.0f}).")
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
def existing_measurements(rows, lock=False):
    """{key: Measurement} of the rows' values already stored (locked for update with `lock`)."""
    school_ids = {r.school.pk for r in rows}
    indicator_ids = {r.indicator.pk for r in rows}
    starts = [r.period_start for r in rows]
    found = Measurement.objects.filter(
        school_id__in=school_ids,
        indicator_id__in=indicator_ids,
        period_start__gte=min(starts),
        period_start__lte=max(starts),
    ).only(
        "pk",
        "school_id",
        "indicator_id",
        "period_start",
        "period_end",
        "student_group",
        "value",
        "verification",
        "verified_at",
    )
    if lock:
        found = found.select_for_update()
    return {(m.school_id, m.indicator_id, m.period_start, m.period_end, m.student_group): m for m in found}


def apply(rows, user, record, source=Source.IMPORT):
    """Upsert the rows; unchanged values are not written at all. Returns (created, updated, unchanged).

    A changed value goes back to "reported" (the district verifies the new figure); an unchanged
    one keeps its verification. Every change is recorded on the value's trail with the old value,
    the new one and who changed it (a partner's change of a disputed value as its answer); a
    partner's change of a verified value is refused (indicators/write_rule.py)."""
    rule = WriteRule(user)
    existing = existing_measurements(rows, lock=True)
    refused = overwrite_errors(rows, existing, rule)
    if refused:
        raise RowsRefused(refused)
    if record is not None:
        channel = f"Import #{record.pk} ({record.file_name})"
    else:
        channel = "Through the API" if source == Source.API else f"By {Source(source).label.lower()}"
    events = []
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
            events.append(
                MeasurementEvent(
                    measurement_id=current.pk,
                    kind=rule.change_kind(current),
                    user=user,
                    old_value=current.value,
                    new_value=row.value,
                    text=f"{channel}; the value was {current.get_verification_display().lower()}.",
                )
            )
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
    MeasurementEvent.objects.bulk_create(events, batch_size=2000)
    return created, updated, len(rows) - created - updated
