"""Measurement import: every row checked, then all rows or none."""

import io
from datetime import date
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from indicators import imports
from indicators.imports import import_measurements
from indicators.models import Measurement, MeasurementImport
from tests.factories import ContractFactory, MeasurementFactory, SchoolFactory, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db
HEADER = "school_id,indicator,period_start,period_end,value\n"


def csv_file(*lines, header=HEADER):
    return io.BytesIO((header + "\n".join(lines) + "\n").encode())


def school_ids(contract):
    return [s.state_id for s in contract.schools.order_by("pk")]


def run(user, *lines, name="values.csv", header=HEADER):
    return import_measurements(csv_file(*lines, header=header), name, user, channel="command")


def test_a_clean_file_is_imported_with_its_provenance(contract, program):
    a, b, _ = school_ids(contract)
    record = run(
        program,
        f"{a},attendance_rate,2024-09-01,2024-09-30,91.5",
        f"{b},discipline_incidents,2024-09-01,2024-09-30,4",
    )
    assert (record.status, record.rows_total, record.rows_created, record.errors) == ("applied", 2, 2, [])
    value = Measurement.objects.get(school__state_id=a)
    assert (value.value, value.source, value.supplied_by, value.import_batch, value.verification) == (
        91.5,
        "import",
        program,
        record,
        "reported",
    )


def test_the_same_file_twice_changes_nothing(contract, program):
    a, b, c = school_ids(contract)
    lines = [f"{s},attendance_rate,2024-09-01,2024-09-30,9{i}" for i, s in enumerate((a, b, c))]
    run(program, *lines)
    before = list(Measurement.objects.order_by("pk").values())
    second = run(program, *lines)
    assert (second.status, second.rows_created, second.rows_updated, second.rows_unchanged) == (
        "applied",
        0,
        0,
        3,
    )
    assert list(Measurement.objects.order_by("pk").values()) == before


def test_a_changed_value_is_updated_and_goes_back_to_reported(contract, program):
    school = contract.schools.first()
    MeasurementFactory(school=school, value=80, verification="verified")
    district = user_with_role(Role.DISTRICT_STAFF, contract.district)
    # A partner may not replace a verified value (tests/imports/test_overwrite.py); the district may.
    record = run(district, f"{school.state_id},attendance_rate,2024-09-01,2024-09-30,85")
    assert (record.rows_created, record.rows_updated) == (0, 1)
    value = Measurement.objects.get(school=school)
    assert (value.value, value.verification, value.import_batch) == (85, "reported", record)


def test_a_file_with_bad_rows_writes_nothing_and_lists_every_bad_row(contract, program):
    a, b, c = school_ids(contract)
    stranger = SchoolFactory()
    record = run(
        program,
        f"{a},attendance_rate,2024-09-01,2024-09-30,92",  # line 2: fine
        "NOPE-1,attendance_rate,2024-09-01,2024-09-30,92",  # 3: unknown school
        f"{stranger.state_id},attendance_rate,2024-09-01,2024-09-30,92",  # 4: not theirs
        f"{a},happiness,2024-09-01,2024-09-30,92",  # 5: unknown indicator
        f"{a},attendance_rate,2024-13-01,2024-09-30,92",  # 6: bad date
        f"{b},attendance_rate,2024-09-30,2024-09-01,92",  # 7: ends before it starts
        f"{b},attendance_rate,1990-09-01,1990-09-30,92",  # 8: before 2000
        f"{b},attendance_rate,2024-01-01,2025-06-30,92",  # 9: longer than a year
        f"{c},attendance_rate,2024-09-01,2024-09-30,ninety",  # 10: not a number
        f"{c},attendance_rate,2024-10-01,2024-10-31,130",  # 11: a 130% attendance rate
        f"{c},attendance_rate,2024-11-01,2024-11-30,nan",  # 12: not finite
        f"{a},attendance_rate,2024-09-01,2024-09-30,93",  # 13: duplicate of line 2
        f"{a},attendance_rate,2099-09-01,2099-09-30,93",  # 14: far in the future
    )
    assert record.status == "rejected"
    assert not Measurement.objects.exists()
    by_line = {}
    for error in record.errors:
        by_line.setdefault(error["line"], []).append(error["message"])
    assert sorted(by_line) == list(range(3, 15))
    assert "No school has the id NOPE-1" in by_line[3][0]
    assert by_line[4][0] == f"No school has the id {stranger.state_id}."  # as unknown: no leak
    assert "Unknown indicator 'happiness'" in by_line[5][0]
    assert "not a date" in by_line[6][0]
    assert "before it starts" in by_line[7][0]
    assert "before 2000-01-01" in by_line[8][0]
    assert "longer than a year" in by_line[9][0]
    assert "not a number" in by_line[10][0]
    assert "130 is above the largest attendance rate, 100" in by_line[11][0]
    assert "not a finite number" in by_line[12][0]
    assert "line 2" in by_line[13][0]
    assert "future" in by_line[14][0]


def test_missing_columns_reject_the_file(program):
    record = run(program, "X,attendance_rate,2024-09-01", header="school_id,indicator,period_start\n")
    assert record.status == "rejected"
    assert "Missing columns: period_end, value" in record.errors[0]["message"]


def test_field_staff_and_state_staff_cannot_import(contract):
    a = school_ids(contract)[0]
    field = user_with_role(Role.PARTNER_FIELD, contract.lead_partner)
    state = user_with_role(Role.STATE_STAFF, contract.district.state)
    for user in (field, state):
        record = run(user, f"{a},attendance_rate,2024-09-01,2024-09-30,92")
        assert record.status == "rejected"
        assert "Only district staff and Lead Partner program staff" in record.errors[0]["message"]
    assert not Measurement.objects.exists()


def test_district_staff_import_for_their_district_only(contract):
    district = user_with_role(Role.DISTRICT_STAFF, contract.district)
    other = SchoolFactory()
    record = run(
        district,
        f"{school_ids(contract)[0]},attendance_rate,2024-09-01,2024-09-30,92",
        f"{other.state_id},attendance_rate,2024-09-01,2024-09-30,92",
    )
    assert record.status == "rejected"
    assert [e["line"] for e in record.errors] == [3]


def test_an_xlsx_workbook_with_real_dates_and_numbers(contract, program):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["value", "school_id", "indicator", "period_start", "period_end", "student_group"])
    a, b, _ = school_ids(contract)
    sheet.append([91, a, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), None])
    sheet.append([" 72.5 ", b, "ela_proficiency", "2024-07-01", "2025-06-30", "english_learners"])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    record = import_measurements(data, "values.xlsx", program, channel="browser")
    assert (record.status, record.rows_created) == ("applied", 2), record.errors
    assert Measurement.objects.get(school__state_id=b).student_group == "english_learners"


def test_an_applied_file_schedules_one_recompute_of_its_contracts(contract, program):
    a, b, c = school_ids(contract)
    with mock.patch.object(imports, "schedule_recompute") as schedule:
        run(program, *[f"{s},attendance_rate,2024-09-01,2024-09-30,90" for s in (a, b, c)])
    schedule.assert_called_once()
    assert list(schedule.call_args.args[0]) == [contract.pk]


def test_ten_thousand_rows_in_a_handful_of_queries(contract, program, django_assert_max_num_queries):
    schools = school_ids(contract)
    # Periods within the contract (program staff write nothing else): from its start on 1 July
    # 2024, one day or two, 3,334 per school.
    first = date(2024, 7, 1).toordinal()
    lines = [
        f"{schools[i % 3]},attendance_rate,{date.fromordinal(first + (i // 3) % 800)},"
        f"{date.fromordinal(first + (i // 3) % 800 + (i // 3) // 800)},{80 + i % 15}"
        for i in range(10_000)
    ]
    # No query per row: a few look-ups, then the upsert in batches (SQLite's limit on bound
    # parameters makes those batches ~60 rows there; on PostgreSQL they are 2,000).
    with django_assert_max_num_queries(200 if connection.vendor == "sqlite" else 25):
        record = run(program, *lines)
    assert (record.status, record.rows_created) == ("applied", 10_000)


def test_the_command_prints_the_outcome_and_fails_on_a_bad_file(contract, program, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + f"{school_ids(contract)[0]},attendance_rate,2024-09-01,2024-09-30,90\n")
    call_command("import_measurements", str(good), "--user", program.username)
    assert "1 new" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "NOPE,attendance_rate,2024-09-01,2024-09-30,90\n")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_measurements", str(bad), "--user", program.username)
    assert "line 2 [school_id]: No school has the id NOPE" in capsys.readouterr().err


def test_the_upload_page_for_program_staff(client, contract, program):
    client.force_login(program)
    assert client.get(reverse("indicators:import_new")).status_code == 200
    upload = SimpleUploadedFile(
        "october.csv",
        (HEADER + f"{school_ids(contract)[0]},attendance_rate,2024-10-01,2024-10-31,93\n").encode(),
    )
    response = client.post(reverse("indicators:import_new"), {"file": upload})
    record = MeasurementImport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "indicators:import_detail", args=[record.pk]
    )
    page = client.get(response.url).content.decode()
    assert "1 new" in page
    assert client.get(reverse("indicators:imports")).status_code == 200


def test_a_rejected_upload_shows_every_bad_row(client, contract, program):
    client.force_login(program)
    upload = SimpleUploadedFile(
        "bad.csv", (HEADER + "NOPE,attendance_rate,2024-10-01,2024-10-31,93\n").encode()
    )
    response = client.post(reverse("indicators:import_new"), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "was rejected" in page and "No school has the id NOPE" in page
    assert not Measurement.objects.exists()


def test_the_upload_page_is_403_for_field_staff_and_imports_are_scoped(client, contract, program):
    run(program, f"{school_ids(contract)[0]},attendance_rate,2024-09-01,2024-09-30,90")
    record = MeasurementImport.objects.get()
    client.force_login(user_with_role(Role.PARTNER_FIELD, contract.lead_partner))
    assert client.get(reverse("indicators:import_new")).status_code == 403  # the page is no secret
    assert client.get(reverse("indicators:import_detail", args=[record.pk])).status_code == 404
    client.force_login(user_with_role(Role.DISTRICT_STAFF, ContractFactory().district))
    assert client.get(reverse("indicators:import_detail", args=[record.pk])).status_code == 404


def test_field_presence_is_computed_from_visits_and_cannot_be_imported(contract, program):
    a = school_ids(contract)[0]
    record = run(program, f"{a},field_presence_rate,2024-10-07,2024-10-11,100")
    assert record.status == "rejected"
    assert record.errors == [
        {
            "line": 2,
            "column": "indicator",
            "message": "Field staff presence is computed by the portal (from field visits); "
            "it cannot be imported.",
        }
    ]
    assert not Measurement.objects.exists()
