"""Upload limits that hold before any parsing: every crafted file below is refused with a clear
message and an import record saying why, in bounded memory, never a server error."""

import io
import re
import tracemalloc
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from indicators import imports
from indicators.imports import import_measurements
from indicators.models import Measurement, MeasurementImport
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
HEADER = "school_id,indicator,period_start,period_end,value\n"


def a_school(contract):
    return contract.schools.order_by("pk").first().state_id


def line(contract, value=90, start="2024-09-01", end="2024-09-30"):
    return f"{a_school(contract)},attendance_rate,{start},{end},{value}\n"


def workbook_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def rewrite_part(data, name, change):
    """The workbook `data` with its part `name` passed through change(bytes) -> bytes."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            content = source.read(member.filename)
            out.writestr(member.filename, change(content) if member.filename == name else content)
    return target.getvalue()


def dimension(xml, ref):
    """The sheet's XML declaring the dimension `ref`."""
    changed = re.sub(rb'<dimension ref="[A-Z0-9:]+" ?/>', b'<dimension ref="' + ref + b'"/>', xml)
    assert changed != xml
    return changed


def good_rows(contract):
    return [
        ["school_id", "indicator", "period_start", "period_end", "value"],
        [a_school(contract), "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 91],
    ]


def run(user, data, name):
    return import_measurements(io.BytesIO(data), name, user, channel="browser")


def assert_refused(record, *words):
    """Rejected, recorded (saved, with its reason), and nothing written."""
    assert record.pk and MeasurementImport.objects.filter(pk=record.pk, status="rejected").exists()
    message = " ".join(error["message"] for error in record.errors)
    for word in words:
        assert word in message, message
    assert not Measurement.objects.exists()


# Workbooks ----------------------------------------------------------------------------------------
def test_a_tiny_workbook_declaring_a_huge_sheet_is_refused_in_bounded_memory(contract, program):
    data = rewrite_part(
        workbook_bytes(good_rows(contract)),
        "xl/worksheets/sheet1.xml",
        lambda xml: dimension(xml, b"A1:XFD2000"),
    )
    assert len(data) < 10_000 and b"XFD2000" in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml"
    )
    tracemalloc.start()
    try:
        record = run(program, data, "huge.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_refused(record, "declares 2,000 rows and 16,384 columns", "and 50 columns can be imported")
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes"


def test_a_declared_dimension_smaller_than_the_data_does_not_drop_rows(contract, program):
    rows = good_rows(contract) + [
        [a_school(contract), "attendance_rate", date(2024, 10, 1), date(2024, 10, 31), 92]
    ]
    data = rewrite_part(
        workbook_bytes(rows),
        "xl/worksheets/sheet1.xml",
        lambda xml: dimension(xml, b"A1:B2"),
    )
    record = run(program, data, "small.xlsx")
    assert (record.status, record.rows_created) == ("applied", 2), record.errors


def test_a_workbook_without_a_sheet_is_refused_and_recorded(program):
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheets/></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"/>',
    }
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    record = run(program, data.getvalue(), "empty.xlsx")
    assert_refused(record)
    assert record.errors[0]["message"] in (
        "The workbook has no sheet.",
        "The file is not a readable .xlsx workbook.",
    )


def test_a_corrupt_zip_is_refused_and_recorded(contract, program):
    data = workbook_bytes(good_rows(contract))
    damaged = data[:200] + b"\0" * 500 + data[700:]
    for broken in (b"PK\x03\x04 this is no zip", data[: len(data) // 2], damaged):
        record = run(program, broken, "broken.xlsx")
        assert_refused(record)
        assert (
            "not a readable .xlsx workbook" in record.errors[0]["message"]
            or "damaged" in (record.errors[0]["message"])
        )


def test_malformed_sheet_xml_is_refused_and_recorded(contract, program):
    data = rewrite_part(
        workbook_bytes(good_rows(contract)),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", b"<row><c></row></sheetData>"),
    )
    assert_refused(run(program, data, "malformed.xlsx"), "xl/worksheets/sheet1.xml is not well-formed XML")


def test_a_sheet_with_a_dtd_is_refused(contract, program):
    data = rewrite_part(
        workbook_bytes(good_rows(contract)),
        "xl/worksheets/sheet1.xml",
        lambda xml: b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>' + xml,
    )
    assert_refused(run(program, data, "dtd.xlsx"), "declares a DTD")


def test_a_workbook_with_too_many_rows_or_columns_is_refused(contract, program, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = good_rows(contract) + [
        [a_school(contract), "attendance_rate", date(2024, m, 1), date(2024, m, 28), 90] for m in (10, 11, 12)
    ]
    assert_refused(run(program, workbook_bytes(rows), "rows.xlsx"), "more than 3 rows")
    wide = good_rows(contract)
    wide[1] = wide[1] + [None] * 45 + ["far away"]
    monkeypatch.setattr(imports, "MAX_ROWS", 100)
    record = run(program, workbook_bytes(wide), "wide.xlsx")
    assert_refused(record, "51 columns", "and 50 columns can be imported")
    # A sheet that hides its width behind a small declared dimension: refused all the same.
    data = rewrite_part(
        workbook_bytes(wide), "xl/worksheets/sheet1.xml", lambda xml: dimension(xml, b"A1:E2")
    )
    assert_refused(run(program, data, "hidden.xlsx"), "Line 2 has more than 50 columns")


def test_a_row_of_too_many_cells_is_refused_before_openpyxl_builds_it(contract, program):
    cells = b"".join(b'<c r="A2" t="n"><v>1</v></c>' for _ in range(imports.MAX_XLSX_CELLS_PER_ROW + 1))
    data = rewrite_part(
        workbook_bytes(good_rows(contract)),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", b'<row r="3">' + cells + b"</row></sheetData>"),
    )
    assert_refused(run(program, data, "cells.xlsx"), "more than 1,000 cells")


# CSV --------------------------------------------------------------------------------------------
def test_a_csv_field_of_200000_characters_is_refused_and_recorded(contract, program):
    data = (HEADER + line(contract) + f"{'X' * 200_000},attendance_rate,2024-10-01,2024-10-31,90\n").encode()
    record = run(program, data, "long.csv")
    assert_refused(record, "Line 3 is longer than 4,096 characters")
    assert record.errors[0]["line"] == 3
    # Quoted, over many physical lines: the row is bounded all the same.
    quoted = (HEADER + '"' + "X\n" * 100_000 + '",attendance_rate,2024-10-01,2024-10-31,90\n').encode()
    assert_refused(run(program, quoted, "quoted.csv"), "longer than 4,096 characters")


def test_a_csv_field_past_the_field_limit_is_refused(contract, program):
    data = (HEADER + line(contract) + f"{'X' * 300},attendance_rate,2024-10-01,2024-10-31,90\n").encode()
    assert_refused(run(program, data, "field.csv"), "Line 3 has a field longer than 255 characters")


def test_csv_rows_are_counted_as_they_stream_blank_lines_included(contract, program, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = (HEADER + line(contract) + "\n" * 10).encode()
    assert_refused(run(program, data, "blank.csv"), "more than 3 rows (blank lines count)")
    record = run(program, (HEADER + line(contract) + "\n,,,,\n").encode(), "fine.csv")
    assert (record.status, record.rows_total, record.rows_created) == ("applied", 1, 1)


def test_a_csv_row_of_too_many_columns_is_refused(contract, program):
    data = (HEADER + line(contract).rstrip("\n") + ",x" * 60 + "\n").encode()
    assert_refused(run(program, data, "wide.csv"), "Line 2 has more than 50 columns")


def test_a_csv_that_is_not_utf8_is_refused_and_recorded(program):
    assert_refused(run(program, HEADER.encode() + b"\xff\xfe\x00bad\n", "latin.csv"), "not UTF-8")


def test_bytes_are_counted_on_the_stream_never_read_whole(program, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100_000)

    class Endless(io.RawIOBase):
        """A stream of unknown size that never ends."""

        given = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            # A header, then blank rows without end (a row limit would not stop it in time).
            chunk = (HEADER if not self.given else "").encode() + b" , , , , \n" * (len(buffer) // 10)
            chunk = chunk[: len(buffer)]
            buffer[: len(chunk)] = chunk
            self.given += len(chunk)
            return len(chunk)

    for name in ("endless.csv", "endless.xlsx"):
        stream = Endless()
        record = import_measurements(stream, name, program, channel="command")
        assert_refused(record, "The file is larger than 100,000 bytes")
        assert stream.given <= 100_000 + imports.READ_CHUNK + io.DEFAULT_BUFFER_SIZE


# Through the page and the API ---------------------------------------------------------------------
def test_an_oversized_upload_to_the_api_is_refused_recorded_and_stored_only_to_the_limit(
    contract, program, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_BYTES", 50_000)
    seen = []
    original = imports.read_rows
    monkeypatch.setattr(
        imports, "read_rows", lambda file, name: seen.append(file.size) or original(file, name)
    )
    body = HEADER + line(contract) * 2_000  # about 110 KB
    response = client_for(program).post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("big.csv", body.encode())}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert response.json()["errors"] == [
        {"line": None, "column": None, "message": "The file is larger than 50,000 bytes; split it."}
    ]
    assert MeasurementImport.objects.get().channel == "api"
    assert seen == [50_001]  # the upload handler kept one byte past the limit, not the whole file
    assert not Measurement.objects.exists()


def test_an_empty_file_to_the_api_is_recorded(program):
    response = client_for(program).post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("empty.csv", b"")}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["message"] == "The file is empty."
    assert MeasurementImport.objects.get().status == "rejected"


def test_refusals_on_the_page_are_recorded_with_their_reason(client, contract, program, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 50_000)
    client.force_login(program)
    for name, content, reason in (
        ("big.csv", (HEADER + line(contract) * 2_000).encode(), "larger than 50,000 bytes"),
        ("values.pdf", b"%PDF-1.4", "Upload a .csv or an .xlsx file."),
        ("empty.csv", b"", "The file is empty."),
        ("broken.xlsx", b"PK\x03\x04 no zip", "not a readable .xlsx workbook"),
    ):
        response = client.post(
            reverse("indicators:import_new"), {"file": SimpleUploadedFile(name, content)}, follow=True
        )
        assert response.status_code == 200
        record = MeasurementImport.objects.get(file_name=name)
        assert record.status == "rejected" and reason in record.errors[0]["message"]
        assert "was rejected" in response.content.decode() and reason in response.content.decode()
    assert not Measurement.objects.exists()


def test_the_upload_page_still_checks_csrf(contract, program):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(program)
    upload = SimpleUploadedFile("values.csv", (HEADER + line(contract)).encode())
    assert client.post(reverse("indicators:import_new"), {"file": upload}).status_code == 403
    assert not MeasurementImport.objects.exists()


def test_a_good_workbook_through_the_api_and_the_page_is_applied(client, contract, program):
    data = workbook_bytes(good_rows(contract))
    response = client_for(program).post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("good.xlsx", data)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["rows_created"] == 1
    client.force_login(program)
    rows = good_rows(contract)
    rows[1][-1] = 93
    upload = SimpleUploadedFile("good2.xlsx", workbook_bytes(rows))
    client.post(reverse("indicators:import_new"), {"file": upload})
    record = MeasurementImport.objects.get(file_name="good2.xlsx")
    assert (record.status, record.rows_updated) == ("applied", 1), record.errors


def test_a_far_row_without_a_dimension_is_refused_as_it_streams(contract, program, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 1_000)

    def far_row(xml):
        xml = re.sub(rb'<dimension ref="[A-Z0-9:]+" ?/>', b"", xml)
        return xml.replace(
            b"</sheetData>", b'<row r="1000000"><c r="A1000000"><v>1</v></c></row></sheetData>'
        )

    data = rewrite_part(workbook_bytes(good_rows(contract)), "xl/worksheets/sheet1.xml", far_row)
    tracemalloc.start()
    try:
        record = run(program, data, "far.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_refused(record, "more than 1,000 rows (blank lines count)")
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes"


def test_a_long_csv_field_is_refused_in_bounded_memory(contract, program):
    data = (
        HEADER + line(contract) + "X" * 5_000_000 + ",attendance_rate,2024-10-01,2024-10-31,90\n"
    ).encode()
    tracemalloc.start()
    try:
        record = import_measurements(io.BytesIO(data), "long.csv", program, channel="command")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_refused(record, "Line 3 is longer than 4,096 characters")
    assert peak < 1024 * 1024, f"peak {peak:,} bytes"
