"""The contract workflow in the browser's pages: who may open and post each form (404 outside the
scope, 403 for readers), what each write does, and how bad input is answered."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import (
    AutonomyItem,
    ContractDecision,
    ContractReview,
    ContractStatusChange,
    PerformanceContract,
    Proposal,
    ResponsibilityItem,
    Rfp,
    Target,
)
from contracts.rubric import rubric_score, self_audit_rating
from indicators.models import IndicatorStatus
from partners.models import SelfAudit, SelfAuditAnswer, SelfAuditItem
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    MeasurementFactory,
    OrganizationFactory,
    SchoolFactory,
    indicator,
    user_with_role,
)
from turnaround.models import Role

CONTRACT_FORMS = [
    "contracts:edit",
    "contracts:schools",
    "contracts:autonomies",
    "contracts:responsibilities",
    "contracts:checklist",
    "contracts:targets",
    "contracts:transition",
    "contracts:review_create",
    "contracts:decision_create",
]
# Contract A is the district's (authority: district): its staff write, state staff and partner
# staff only read it (403), anyone else does not see it (404).
WRITERS_AND_READERS_OF_CONTRACT_A = [
    ("district_a", 200),
    ("admin", 200),
    ("state_1", 403),
    ("program_p", 403),
    ("field_p", 403),
    ("district_c", 404),
    ("state_2", 404),
    ("program_q", 404),
    ("field_q", 404),
    ("nobody", 404),
]


def login(client, world, key):
    client.force_login(world.users[key])
    return client


@pytest.mark.parametrize("user_key, status", WRITERS_AND_READERS_OF_CONTRACT_A)
@pytest.mark.parametrize("name", CONTRACT_FORMS)
def test_contract_forms_answer_by_role(client, world, name, user_key, status):
    response = login(client, world, user_key).get(reverse(name, args=[world.contract_a.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("user_key, status", [("state_1", 403), ("program_p", 403), ("district_c", 404)])
def test_a_forbidden_post_changes_nothing(client, world, user_key, status):
    url = reverse("contracts:transition", args=[world.contract_a.pk])
    response = login(client, world, user_key).post(
        url, {"to_status": "probation", "effective_on": "2025-01-10", "reason": "Attendance fell."}
    )
    assert response.status_code == status
    world.contract_a.refresh_from_db()
    assert world.contract_a.lifecycle_status == "active"


def test_forms_need_a_login(client, world):
    response = client.get(reverse("contracts:edit", args=[world.contract_a.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_state_staff_edit_the_contracts_their_state_signs(client, world):
    state_contract = ContractFactory(district=world.district_a, authority="state")
    url = reverse("contracts:edit", args=[state_contract.pk])
    assert login(client, world, "state_1").get(url).status_code == 200
    assert login(client, world, "district_a").get(url).status_code == 403
    assert login(client, world, "state_2").get(url).status_code == 404


def test_the_contract_page_offers_edits_only_to_writers(client, world):
    url = reverse("contracts:detail", args=[world.contract_a.pk])
    assert 'data-testid="contract-actions"' in login(client, world, "district_a").get(url).text
    for reader in ("state_1", "program_p", "field_p"):
        assert 'data-testid="contract-actions"' not in login(client, world, reader).get(url).text


# RFPs and proposals -----------------------------------------------------------------------------


def free_schools(district, count=3):
    return [SchoolFactory(district=district, enrolment=300 + 100 * i) for i in range(count)]


def test_district_staff_issue_an_rfp_for_their_schools(client, world):
    schools = free_schools(world.district_a)
    response = login(client, world, "district_a").post(
        reverse("contracts:rfp_create"),
        {
            "title": "Lead Partner for the West cluster",
            "description": "Three schools.",
            "selection_criteria": "Track record.",
            "schools": [s.pk for s in schools],
            "issued_on": "2025-01-06",
            "proposals_due_on": "2025-03-01",
            "status": "open",
        },
    )
    rfp = Rfp.objects.get(title="Lead Partner for the West cluster")
    assert response.status_code == 302 and response["Location"] == reverse(
        "contracts:rfp_detail", args=[rfp.pk]
    )
    assert rfp.district == world.district_a and rfp.authority == "district"
    assert set(rfp.schools.all()) == set(schools)


def test_an_rfp_refuses_schools_outside_its_district_and_keeps_the_input(client, world):
    other = SchoolFactory(district=world.district_c)
    own = SchoolFactory(district=world.district_a)
    response = login(client, world, "admin").post(
        reverse("contracts:rfp_create"),
        {
            "district": world.district_a.pk,
            "authority": "district",
            "title": "Mixed RFP",
            "schools": [own.pk, other.pk],
            "issued_on": "2025-03-01",
            "proposals_due_on": "2025-01-01",
            "status": "open",
        },
    )
    assert response.status_code == 200
    assert f"Not in the RFP&#x27;s district: {other.name}" in response.text
    assert 'value="Mixed RFP"' in response.text
    assert not Rfp.objects.filter(title="Mixed RFP").exists()


def test_district_staff_cannot_pick_another_districts_schools(client, world):
    other = SchoolFactory(district=world.district_c)
    response = login(client, world, "district_a").post(
        reverse("contracts:rfp_create"),
        {"title": "Sneaky", "schools": [other.pk], "status": "open"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Rfp.objects.filter(title="Sneaky").exists()


@pytest.mark.parametrize("user_key, status", [("program_p", 403), ("field_p", 403), ("nobody", 403)])
def test_only_authority_staff_open_the_new_rfp_form(client, world, user_key, status):
    assert login(client, world, user_key).get(reverse("contracts:rfp_create")).status_code == status


def make_rfp(world, **kwargs):
    rfp = Rfp.objects.create(district=world.district_a, title="West cluster RFP", status="open", **kwargs)
    rfp.schools.set(free_schools(world.district_a))
    return rfp


def make_self_audit(organization, answers):
    """A self-audit answering the catalog's items in order with `answers` (cycled)."""
    audit = SelfAudit.objects.create(organization=organization, completed_on=date(2024, 10, 1))
    items = list(SelfAuditItem.objects.all())
    for item, answer in zip(items, (answers * len(items))[: len(items)], strict=True):
        SelfAuditAnswer.objects.create(audit=audit, item=item, answer=answer)
    return audit


def test_rubric_arithmetic():
    assert self_audit_rating(["yes", "yes", "partly", "no"]) == Decimal("2.50")
    assert self_audit_rating([]) is None
    full = {c: 4 for c in ("track_record_rating", "school_model_rating", "capacity_rating")}
    full |= {"community_rating": 4, "budget_rating": 4}
    assert rubric_score(full, Decimal(4)) == Decimal("100.00")
    assert rubric_score(full, None) == Decimal("85.00")  # no self-audit: none of its 15 points
    assert rubric_score({**full, "budget_rating": None}, Decimal(4)) is None
    half = dict.fromkeys(full, 2)
    assert rubric_score(half, Decimal(2)) == Decimal("50.00")


def rubric(**ratings):
    base = {
        "track_record_rating": 3,
        "school_model_rating": 4,
        "capacity_rating": 3,
        "community_rating": 2,
        "budget_rating": 4,
    }
    return {**base, **ratings}


def test_a_recorded_proposal_is_scored_with_the_self_audit(client, world):
    rfp = make_rfp(world)
    organization = OrganizationFactory(name="Beacon Turnaround")
    audit = make_self_audit(organization, ["yes", "yes", "partly", "no"])
    response = login(client, world, "district_a").post(
        reverse("contracts:proposal_create", args=[rfp.pk]),
        {"organization": organization.pk, "submitted_on": "2025-02-20", "status": "under_review", **rubric()},
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(rfp=rfp)
    assert proposal.self_audit == audit
    expected_audit = self_audit_rating(audit.answers.values_list("answer", flat=True))
    assert proposal.self_audit_rating == expected_audit
    assert proposal.score == rubric_score(rubric(), expected_audit)
    page = client.get(reverse("contracts:rfp_detail", args=[rfp.pk])).text
    assert str(proposal.score) in page


def test_the_self_audit_preview_shows_the_organizations_answers(client, world):
    organization = OrganizationFactory()
    audit = make_self_audit(organization, ["yes", "no"])
    rating = self_audit_rating(audit.answers.values_list("answer", flat=True))
    response = login(client, world, "district_a").get(
        reverse("contracts:self_audit_preview"), {"organization": organization.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-testid="self-audit-preview"' in response.text and f"Rating {rating} / 4" in response.text
    assert "<html" not in response.text  # a fragment


def test_a_second_proposal_of_the_same_organization_is_refused(client, world):
    rfp = make_rfp(world)
    organization = OrganizationFactory()
    Proposal.objects.create(rfp=rfp, organization=organization, submitted_on=date(2025, 2, 1))
    response = login(client, world, "district_a").post(
        reverse("contracts:proposal_create", args=[rfp.pk]),
        {"organization": organization.pk, "submitted_on": "2025-02-20", "status": "submitted", **rubric()},
    )
    assert response.status_code == 200
    assert "already has a proposal for this RFP" in response.text
    assert rfp.proposals.count() == 1


def test_a_rating_out_of_the_scale_is_refused(client, world):
    rfp = make_rfp(world)
    response = login(client, world, "district_a").post(
        reverse("contracts:proposal_create", args=[rfp.pk]),
        {
            "organization": OrganizationFactory().pk,
            "submitted_on": "2025-02-20",
            "status": "submitted",
            **rubric(budget_rating=7),
        },
    )
    assert response.status_code == 200 and "less than or equal to 4" in response.text
    assert not rfp.proposals.exists()


def selection_post(**overrides):
    data = {
        "reference": "WEST-2025",
        "name": "Beacon West cluster",
        "cluster": "",
        "new_cluster_name": "West cluster",
        "start_date": "2025-07-01",
        "end_date": "2028-06-30",
    }
    return {**data, **overrides}


def test_selecting_a_proposal_drafts_a_prefilled_contract(client, world):
    rfp = make_rfp(world)
    winner = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1)
    )
    runner_up = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 2)
    )
    response = login(client, world, "district_a").post(
        reverse("contracts:proposal_select", args=[winner.pk]), selection_post()
    )
    contract = PerformanceContract.objects.get(reference="WEST-2025")
    assert response.status_code == 302 and response["Location"] == reverse(
        "contracts:detail", args=[contract.pk]
    )
    assert contract.lifecycle_status == "draft" and contract.proposal == winner
    assert contract.lead_partner == winner.organization and contract.district == world.district_a
    assert set(contract.schools.all()) == set(rfp.schools.all()) == set(contract.cluster.schools.all())
    assert contract.cluster.name == "West cluster"
    # Pre-filled from the catalogs: every autonomy (none granted yet), the responsibility template
    # with its owners (the either-side items undecided), the pre-launch checklist.
    assert contract.autonomies.count() == AutonomyItem.objects.count() > 0
    assert not contract.autonomies.exclude(grant="not_granted").exists()
    owners = dict(contract.responsibilities.values_list("item__code", "owner"))
    assert owners == dict(ResponsibilityItem.objects.values_list("code", "default_owner"))
    assert "undecided" in owners.values()
    assert contract.checklist.count() == 8
    assert contract.status_changes.get().changed_by == world.users["district_a"]
    winner.refresh_from_db(), runner_up.refresh_from_db(), rfp.refresh_from_db()
    assert (winner.status, runner_up.status, rfp.status) == ("selected", "not_selected", "awarded")


def test_a_selection_with_a_bad_term_drafts_nothing_and_keeps_the_input(client, world):
    rfp = make_rfp(world)
    proposal = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1)
    )
    before = PerformanceContract.objects.count()
    response = login(client, world, "district_a").post(
        reverse("contracts:proposal_select", args=[proposal.pk]), selection_post(end_date="2026-06-30")
    )
    assert response.status_code == 200
    assert "runs 3 to 5 years" in response.text
    assert 'value="Beacon West cluster"' in response.text
    assert PerformanceContract.objects.count() == before
    proposal.refresh_from_db()
    assert proposal.status == "submitted"


def test_an_awarded_rfp_selects_no_second_proposal(client, world):
    rfp = make_rfp(world)
    first = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1)
    )
    second = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1)
    )
    client = login(client, world, "district_a")
    client.post(reverse("contracts:proposal_select", args=[first.pk]), selection_post())
    response = client.post(
        reverse("contracts:proposal_select", args=[second.pk]),
        selection_post(reference="WEST-2", new_cluster_name="W2"),
    )
    assert response.status_code == 200 and "This RFP is awarded" in response.text
    assert not PerformanceContract.objects.filter(reference="WEST-2").exists()


def test_partner_staff_read_an_issued_rfp_but_cannot_record_proposals(client, world):
    rfp = make_rfp(world)
    client = login(client, world, "program_p")
    assert client.get(reverse("contracts:rfp_detail", args=[rfp.pk])).status_code == 200
    assert client.get(reverse("contracts:proposal_create", args=[rfp.pk])).status_code == 403
    assert (
        login(client, world, "district_c").get(reverse("contracts:rfp_detail", args=[rfp.pk])).status_code
        == 404
    )


# Terms, schools, autonomies, responsibilities ----------------------------------------------------


def terms_post(contract, **overrides):
    data = {
        "reference": contract.reference,
        "name": contract.name,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "mou_signed_on": "",
        "signed_on": "",
        "per_pupil_allocation": "5400.00",
        "central_office_share_pct": "75",
        "improvement_grant_amount": "3000000",
        "accountable_from_year": "3",
        "on_track_threshold": "0.75",
        "at_risk_threshold": "0.25",
        "notes": "",
    }
    return {**data, **overrides}


def test_terms_are_saved_and_show_in_the_change_history(client, world, django_capture_on_commit_callbacks):
    contract = world.draft_a
    client = login(client, world, "district_a")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("contracts:edit", args=[contract.pk]), terms_post(contract))
    assert response.status_code == 302
    assert callbacks, "a contract change schedules a recompute"
    contract.refresh_from_db()
    assert contract.per_pupil_allocation == Decimal("5400.00")
    assert contract.improvement_margin == 0.0  # left out (or empty): off
    page = client.get(reverse("contracts:detail", args=[contract.pk])).text
    assert "per pupil allocation: — → 5400.00" in page
    client.post(reverse("contracts:edit", args=[contract.pk]), terms_post(contract, improvement_margin="0.1"))
    contract.refresh_from_db()
    assert contract.improvement_margin == 0.1
    assert "improvement margin: 0.0 → 0.1" in client.get(reverse("contracts:detail", args=[contract.pk])).text


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"end_date": "2027-01-01"}, "runs 3 to 5 years"),
        ({"at_risk_threshold": "0.8"}, "must be below the on-track threshold"),
        ({"on_track_threshold": "1.5"}, "Between 0 and 1"),
        ({"improvement_margin": "1.5"}, "(0.1 is a tenth"),
        ({"accountable_from_year": "5", "end_date": "2027-06-30"}, "A contract year of the term: 1 to 3."),
        ({"per_pupil_allocation": "lots"}, "Enter a number."),
    ],
)
def test_bad_terms_are_refused_at_the_field_and_kept(client, world, overrides, field_message):
    contract = world.draft_a
    response = login(client, world, "district_a").post(
        reverse("contracts:edit", args=[contract.pk]), terms_post(contract, name="Renamed draft", **overrides)
    )
    assert response.status_code == 200
    assert field_message in response.text
    assert 'value="Renamed draft"' in response.text
    contract.refresh_from_db()
    assert contract.name == "Alpha draft"


def formset_post(rows, field_values):
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        for name, value in field_values(row).items():
            data[f"form-{index}-{name}"] = value
    return data


def test_autonomies_are_granted_per_item(client, world):
    contract = world.draft_a
    rows = list(contract.autonomies.order_by("item__order"))
    first = rows[0]
    data = formset_post(rows, lambda r: {"grant": r.grant, "notes": r.notes})
    data["form-0-grant"], data["form-0-notes"] = "granted", "The Lead Partner hires the principal."
    response = login(client, world, "district_a").post(
        reverse("contracts:autonomies", args=[contract.pk]), data
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.grant, first.notes) == ("granted", "The Lead Partner hires the principal.")
    assert first.history.first().history_user == world.users["district_a"]


def test_undecided_responsibilities_are_settled_and_the_flag_goes(client, world):
    contract = world.draft_a
    rows = list(contract.responsibilities.order_by("item__order"))
    data = formset_post(
        rows, lambda r: {"owner": "shared" if r.owner == "undecided" else r.owner, "notes": ""}
    )
    client = login(client, world, "district_a")
    assert (
        'data-testid="undecided-warning"' in client.get(reverse("contracts:detail", args=[contract.pk])).text
    )
    assert client.post(reverse("contracts:responsibilities", args=[contract.pk]), data).status_code == 302
    assert not contract.responsibilities.filter(owner="undecided").exists()
    assert (
        'data-testid="undecided-warning"'
        not in client.get(reverse("contracts:detail", args=[contract.pk])).text
    )


def test_a_bad_formset_row_saves_nothing(client, world):
    contract = world.draft_a
    rows = list(contract.responsibilities.order_by("item__order"))
    data = formset_post(rows, lambda r: {"owner": "district", "notes": ""})
    data["form-1-owner"] = "nobody"
    response = login(client, world, "district_a").post(
        reverse("contracts:responsibilities", args=[contract.pk]), data
    )
    assert response.status_code == 200 and "Nothing was saved" in response.text
    assert contract.responsibilities.filter(owner="undecided").exists()


def test_a_formset_cannot_reach_another_contracts_rows(client, world):
    contract, other = world.draft_a, world.contract_c
    foreign = other.autonomies.first()
    rows = list(contract.autonomies.order_by("item__order"))
    data = formset_post(rows, lambda r: {"grant": r.grant, "notes": ""})
    data["form-0-id"], data["form-0-grant"] = str(foreign.pk), "granted"
    login(client, world, "district_a").post(reverse("contracts:autonomies", args=[contract.pk]), data)
    foreign.refresh_from_db()
    assert foreign.grant == "not_granted"


def test_schools_of_a_contract_in_force_are_claimed(client, world):
    contract = world.contract_a
    held = world.contract_c.schools.first()  # under Gamma's contract, in another district
    own_free = SchoolFactory(district=world.district_a)
    client = login(client, world, "district_a")
    current = list(contract.schools.values_list("pk", flat=True))
    response = client.post(
        reverse("contracts:schools", args=[contract.pk]), {"schools": current + [own_free.pk]}
    )
    assert response.status_code == 302
    assert contract.school_links.get(school=own_free).in_force
    response = client.post(reverse("contracts:schools", args=[contract.pk]), {"schools": current + [held.pk]})
    assert response.status_code == 200 and "Select a valid choice" in response.text


def test_a_school_under_another_contract_in_force_is_refused(client, world):
    rival = ContractFactory(district=world.district_a, lifecycle_status="active")
    taken = rival.schools.first()
    contract = world.contract_a
    current = list(contract.schools.values_list("pk", flat=True))
    response = login(client, world, "district_a").post(
        reverse("contracts:schools", args=[contract.pk]), {"schools": current + [taken.pk]}
    )
    assert response.status_code == 200
    assert "A school can be in only one contract in force" in response.text
    assert not contract.school_links.filter(school=taken).exists()


# The target grid -------------------------------------------------------------------------------


@pytest.fixture
def grid(world):
    """Contract A (from 1 July 2024) with attendance data of the year before: 90 and 80 at two
    schools of 300 and 100 students, 70 at the third in two months (mean 70)."""
    contract = world.contract_a
    schools = list(contract.schools.order_by("name"))
    for school, enrolment in zip(schools, (300, 100, 100), strict=True):
        school.enrolment = enrolment
        school.save()
    attendance = indicator("attendance_rate")
    for school, values in zip(schools, ([90.0], [80.0], [60.0, 80.0]), strict=True):
        for month, value in enumerate(values, start=9):
            MeasurementFactory(
                school=school,
                indicator=attendance,
                period_start=date(2023, month, 1),
                period_end=date(2023, month, 28),
                value=value,
            )
    # The world's measurement (September 2024, 91.25) is outside the baseline year: ignored.
    return contract, schools, attendance


def test_the_grid_fills_baselines_from_the_data(client, world, grid):
    contract, schools, attendance = grid
    client = login(client, world, "district_a")
    page = client.get(reverse("contracts:targets", args=[contract.pk])).text
    # Cluster: enrolment-weighted mean (90*300 + 80*100 + 70*100) / 500 = 84.
    assert f'name="baseline-{attendance.pk}"' in page
    assert 'value="84.0"' in page
    school_page = client.get(
        reverse("contracts:targets", args=[contract.pk]), {"school": schools[2].pk}, HTTP_HX_REQUEST="true"
    ).text
    assert 'value="70.0"' in school_page and "<html" not in school_page


def test_a_school_of_another_contract_is_not_a_grid_scope(client, world, grid):
    contract = grid[0]
    other = world.contract_c.schools.first()
    response = login(client, world, "district_a").get(
        reverse("contracts:targets", args=[contract.pk]), {"school": other.pk}
    )
    assert response.status_code == 404


def test_saving_the_grid_writes_targets_and_schedules_a_recompute(
    client, world, grid, django_capture_on_commit_callbacks
):
    contract, _, attendance = grid
    chronic = indicator("chronic_absence_rate")
    Target.objects.create(contract=contract, indicator=chronic, contract_year=1, baseline=30, target=25)
    data = {
        "school": "cluster",
        f"baseline-{attendance.pk}": "84",
        f"target-{attendance.pk}-1": "86",
        f"target-{attendance.pk}-2": "88.5",
        f"baseline-{chronic.pk}": "30",
        f"target-{chronic.pk}-1": "",  # cleared: removed
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login(client, world, "district_a").post(
            reverse("contracts:targets", args=[contract.pk]), data, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and 'data-testid="grid-saved"' in response.text
    assert "2 new, 0 changed, 1 removed" in response.text
    assert callbacks, "target changes schedule a recompute"
    rows = {(t.indicator.code, t.contract_year): (t.baseline, t.target) for t in contract.targets.all()}
    assert rows == {("attendance_rate", 1): (84.0, 86.0), ("attendance_rate", 2): (84.0, 88.5)}
    created = Target.history.filter(contract_id=contract.pk, history_type="+").first()
    assert created.history_user == world.users["district_a"]


def test_a_bad_grid_value_saves_nothing_and_keeps_what_was_typed(client, world, grid):
    contract, _, attendance = grid
    data = {
        "school": "cluster",
        f"target-{attendance.pk}-1": "86",
        f"target-{attendance.pk}-2": "140",  # above 100%
        f"target-{attendance.pk}-3": "ninety",
    }
    response = login(client, world, "district_a").post(reverse("contracts:targets", args=[contract.pk]), data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.text
    assert "At most 100 for Attendance rate." in response.text and "Enter a number." in response.text
    assert 'value="ninety"' in response.text and 'value="86"' in response.text
    assert not contract.targets.exists()


def test_readers_cannot_post_the_grid(client, world, grid):
    contract, _, attendance = grid
    response = login(client, world, "state_1").post(
        reverse("contracts:targets", args=[contract.pk]), {f"target-{attendance.pk}-1": "86"}
    )
    assert response.status_code == 403 and not contract.targets.exists()


# Lifecycle, reviews, decisions -----------------------------------------------------------------


def test_a_transition_needs_a_reason(client, world):
    contract = world.draft_a
    client = login(client, world, "district_a")
    url = reverse("contracts:transition", args=[contract.pk])
    response = client.post(url, {"to_status": "pre_launch", "effective_on": "2025-01-10", "reason": "  "})
    assert response.status_code == 200 and "This field is required." in response.text
    contract.refresh_from_db()
    assert contract.lifecycle_status == "draft"
    response = client.post(
        url, {"to_status": "pre_launch", "effective_on": "2025-01-10", "reason": "MOU signed."}
    )
    assert response.status_code == 302
    change = ContractStatusChange.objects.filter(contract=contract).last()
    assert (change.from_status, change.to_status, change.reason) == ("draft", "pre_launch", "MOU signed.")
    assert change.changed_by == world.users["district_a"] and change.effective_on == date(2025, 1, 10)


def test_a_transition_off_the_allowed_edges_is_refused(client, world):
    contract = world.draft_a
    response = login(client, world, "district_a").post(
        reverse("contracts:transition", args=[contract.pk]),
        {"to_status": "renewed", "effective_on": "2025-01-10", "reason": "Skip ahead."},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    contract.refresh_from_db()
    assert contract.lifecycle_status == "draft"


def test_a_transition_that_would_double_book_a_school_is_refused_whole(client, world):
    contract = world.draft_a
    school = contract.schools.first()
    rival = ContractFactory(
        district=world.district_a, cluster=ClusterFactory(district=world.district_a, schools=[school])
    )
    login(client, world, "district_a")
    client.post(
        reverse("contracts:transition", args=[rival.pk]),
        {"to_status": "pre_launch", "effective_on": "2025-01-10", "reason": "MOU signed."},
    )
    response = client.post(
        reverse("contracts:transition", args=[contract.pk]),
        {"to_status": "pre_launch", "effective_on": "2025-01-10", "reason": "MOU signed."},
    )
    assert response.status_code == 200 and "A school can be in only one contract in force" in response.text
    contract.refresh_from_db()
    assert contract.lifecycle_status == "draft"
    assert contract.status_changes.count() == 1


def test_a_review_is_recorded_once_per_year(client, world):
    contract = world.contract_a
    client = login(client, world, "district_a")
    url = reverse("contracts:review_create", args=[contract.pk])
    data = {
        "contract_year": "1",
        "review_date": "2025-06-20",
        "findings": "Culture stabilised.",
        "recommendation": "continue",
    }
    assert client.post(url, data).status_code == 302
    review = ContractReview.objects.get(contract=contract)
    assert review.reviewer == world.users["district_a"]
    response = client.post(url, {**data, "findings": "Again."})
    assert response.status_code == 200 and "The year 1 review is recorded already" in response.text


def status_row(contract, code, status, value, school=None, accountable=True):
    return IndicatorStatus.objects.create(
        contract=contract,
        indicator=indicator(code),
        school=school,
        contract_year=1,
        accountable=accountable,
        as_of=date(2025, 6, 30),
        value=value,
        baseline=80,
        target=90,
        progress=(value - 80) / 10,
        status=status,
        computed_at=timezone.now(),
    )


def test_a_decision_moves_the_lifecycle_and_snapshots_the_evidence(client, world):
    contract = world.contract_a
    status_row(contract, "attendance_rate", "off_track", 81.0)
    status_row(
        contract, "chronic_absence_rate", "at_risk", 84.0, school=contract.schools.first(), accountable=False
    )
    review = ContractReview.objects.create(
        contract=contract,
        contract_year=1,
        review_date=date(2025, 6, 20),
        findings="Slow start.",
        recommendation="probation",
    )
    client = login(client, world, "district_a")
    response = client.post(
        reverse("contracts:decision_create", args=[contract.pk]),
        {
            "kind": "probation",
            "decided_on": "2025-07-01",
            "review": review.pk,
            "rationale": "Attendance off track.",
        },
    )
    assert response.status_code == 302
    decision = ContractDecision.objects.get(contract=contract)
    contract.refresh_from_db()
    assert contract.lifecycle_status == "probation"
    assert (
        decision.status_change.to_status == "probation"
        and decision.status_change.reason == "Attendance off track."
    )
    assert decision.review == review and decision.decided_by == world.users["district_a"]
    evidence = {row["indicator"]: row for row in decision.evidence}
    assert (
        evidence["attendance_rate"]["status"] == "off_track" and evidence["attendance_rate"]["value"] == 81.0
    )
    assert evidence["attendance_rate"]["school"] is None and evidence["attendance_rate"]["accountable"]
    assert evidence["chronic_absence_rate"]["school"] == contract.schools.first().name
    # The evidence stays as it stood when the statuses move on.
    IndicatorStatus.objects.filter(contract=contract).update(status="met", value=95.0)
    decision.refresh_from_db()
    assert {row["status"] for row in decision.evidence} == {"off_track", "at_risk"}
    page = client.get(reverse("contracts:detail", args=[contract.pk])).text
    assert 'data-testid="decision-evidence"' in page and "Attendance off track." in page


def test_a_decision_can_rest_on_verified_values_only(client, world):
    contract = world.contract_a
    school = contract.schools.first()
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    start = contract.start_date
    MeasurementFactory(  # reported, not verified: left out of the evidence
        school=school, period_start=start, period_end=start + timedelta(days=29), value=70
    )
    verified = MeasurementFactory(
        school=school,
        period_start=start + timedelta(days=30),
        period_end=start + timedelta(days=59),
        value=92,
        verification="verified",
    )
    client = login(client, world, "district_a")
    response = client.post(
        reverse("contracts:decision_create", args=[contract.pk]),
        {
            "kind": "continue",
            "decided_on": (start + timedelta(days=90)).isoformat(),
            "rationale": "On the verified figures.",
            "verified_only": "on",
        },
    )
    assert response.status_code == 302
    decision = ContractDecision.objects.get(contract=contract)
    rows = [r for r in decision.evidence if r["indicator"] == "attendance_rate" and r["contract_year"] == 1]
    assert [(r["value"], r["values"]) for r in rows] == [(verified.value, "verified")]
    assert not IndicatorStatus.objects.filter(contract=contract, value=verified.value).exists()
    page = client.get(reverse("contracts:detail", args=[contract.pk])).text
    assert "from verified values only" in page


def test_a_decision_the_lifecycle_does_not_allow_is_refused(client, world):
    contract = world.contract_a  # active: no probation to lift
    response = login(client, world, "district_a").post(
        reverse("contracts:decision_create", args=[contract.pk]),
        {"kind": "lift_probation", "decided_on": "2025-07-01", "rationale": "Better."},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert not ContractDecision.objects.filter(contract=contract).exists()


def test_a_continue_decision_keeps_the_status(client, world):
    contract = world.contract_a
    response = login(client, world, "district_a").post(
        reverse("contracts:decision_create", args=[contract.pk]),
        {"kind": "continue", "decided_on": "2025-07-01", "rationale": "On track."},
    )
    assert response.status_code == 302
    decision = ContractDecision.objects.get(contract=contract)
    assert decision.status_change is None and decision.evidence == []
    contract.refresh_from_db()
    assert contract.lifecycle_status == "active"


def test_a_decision_without_rationale_is_refused(client, world):
    contract = world.contract_a
    response = login(client, world, "district_a").post(
        reverse("contracts:decision_create", args=[contract.pk]),
        {"kind": "renewal", "decided_on": "2025-07-01", "rationale": ""},
    )
    assert response.status_code == 200 and "This field is required." in response.text
    contract.refresh_from_db()
    assert contract.lifecycle_status == "active"


def test_district_staff_of_another_district_see_no_rfp_forms(client, world):
    rfp = make_rfp(world)
    client = login(client, world, "district_c")
    assert client.get(reverse("contracts:rfp_edit", args=[rfp.pk])).status_code == 404
    assert client.get(reverse("contracts:proposal_create", args=[rfp.pk])).status_code == 404
    state_user = user_with_role(Role.STATE_STAFF, world.state_1, username="state_1b")
    client.force_login(state_user)
    assert client.get(reverse("contracts:rfp_edit", args=[rfp.pk])).status_code == 403


# Query counts ---------------------------------------------------------------------------------


def grow(contract, first, count):
    """More of everything the contract page and forms read: targets (cluster and school) with
    statuses and measurements for `count` more indicators, subcontracts, reviews, decisions with
    evidence, and history."""
    from contracts.models import ContractReview, Subcontract
    from indicators.models import Indicator

    schools = list(contract.schools.all())
    for position, item in enumerate(Indicator.objects.order_by("order", "code")[first : first + count]):
        for year in (1, 2):
            Target.objects.create(
                contract=contract, indicator=item, contract_year=year, baseline=10, target=20
            )
            IndicatorStatus.objects.create(
                contract=contract,
                indicator=item,
                contract_year=year,
                accountable=True,
                as_of=date(2025, 6, 30),
                value=15,
                baseline=10,
                target=20,
                progress=0.5,
                status="at_risk",
                projection=17,
                computed_at=timezone.now(),
            )
        for school in schools:
            Target.objects.create(
                contract=contract, indicator=item, contract_year=1, school=school, baseline=10, target=20
            )
            for month in (9, 10, 11):
                MeasurementFactory(
                    school=school,
                    indicator=item,
                    period_start=date(2024, month, 1),
                    period_end=date(2024, month, 28),
                    value=12 + month,
                )
        Subcontract.objects.create(
            contract=contract,
            supporting_partner=OrganizationFactory(),
            services=f"Service {first + position}",
            start_date=date(2024, 8, 1),
            end_date=date(2025, 6, 30),
        )
    for autonomy in contract.autonomies.order_by("item__order")[first : first + count]:
        autonomy.grant = "granted"
        autonomy.save()
    year = 1 if first == 0 else 2
    review = ContractReview.objects.create(
        contract=contract,
        contract_year=year,
        review_date=date(2025, 6, 1),
        findings="F",
        recommendation="continue",
    )
    ContractDecision.objects.create(
        contract=contract,
        review=review,
        kind="continue",
        decided_on=date(2025, 6, 2),
        rationale="R",
        evidence=[{"indicator": "attendance_rate", "contract_year": 1, "school": None, "status": "met"}]
        * count,
    )


def count_get(client, url, **kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **kwargs)  # warm the per-process caches (content types, ...)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name",
    [
        "contracts:detail",
        "contracts:edit",
        "contracts:targets",
        "contracts:autonomies",
        "contracts:responsibilities",
        "contracts:checklist",
        "contracts:decision_create",
        "contracts:review_create",
        "contracts:transition",
        "contracts:schools",
    ],
)
def test_contract_page_and_form_queries_do_not_grow_with_the_data(client, world, name):
    contract = world.contract_a
    client = login(client, world, "district_a")
    url = reverse(name, args=[contract.pk])
    grow(contract, 0, 1)
    few = count_get(client, url)
    grow(contract, 1, 6)
    many = count_get(client, url)
    assert contract.targets.count() == 7 * 5
    assert many == few


def test_rfp_pages_queries_do_not_grow_with_proposals(client, world):
    rfp = make_rfp(world)
    client = login(client, world, "district_a")

    def add(count):
        for _ in range(count):
            organization = OrganizationFactory()
            make_self_audit(organization, ["yes", "partly"])
            Proposal.objects.create(
                rfp=rfp, organization=organization, submitted_on=date(2025, 2, 1), **rubric()
            )
            extra = Rfp.objects.create(
                district=world.district_a, title=f"RFP {organization.pk}", status="open"
            )
            extra.schools.set(free_schools(world.district_a, 2))

    for url in (reverse("contracts:rfp_detail", args=[rfp.pk]), reverse("contracts:rfps")):
        add(1)
        few = count_get(client, url)
        add(5)
        assert count_get(client, url) == few, url


def test_forms_open_with_sensible_defaults(client, world):
    client = login(client, world, "district_a")
    today = f"{timezone.localdate():%Y-%m-%d}"
    schools_page = client.get(reverse("contracts:schools", args=[world.contract_a.pk])).text
    checked = {int(pk) for pk in re.findall(r'name="schools" value="(\d+)"[^>]*checked', schools_page)}
    assert checked == set(world.contract_a.schools.values_list("pk", flat=True))
    for name in ("contracts:transition", "contracts:decision_create", "contracts:review_create"):
        assert f'value="{today}"' in client.get(reverse(name, args=[world.contract_a.pk])).text, name
    rfp = make_rfp(world)
    assert f'value="{today}"' in client.get(reverse("contracts:proposal_create", args=[rfp.pk])).text
    proposal = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(name="Beacon"), submitted_on=date(2025, 2, 1)
    )
    select_page = client.get(reverse("contracts:proposal_select", args=[proposal.pk])).text
    assert 'value="West cluster RFP"' in select_page  # the new cluster's name
    assert 'value="Beacon West cluster RFP"' in select_page


def test_a_review_is_edited_in_place(client, world):
    contract = world.contract_a
    review = ContractReview.objects.create(
        contract=contract,
        contract_year=1,
        review_date=date(2025, 6, 20),
        findings="Draft.",
        recommendation="continue",
    )
    url = reverse("contracts:review_edit", args=[contract.pk, review.pk])
    client = login(client, world, "district_a")
    data = {
        "contract_year": "1",
        "review_date": "2025-06-21",
        "findings": "Final findings.",
        "recommendation": "renew",
    }
    assert client.post(url, data).status_code == 302
    review.refresh_from_db()
    assert (review.findings, review.recommendation) == ("Final findings.", "renew")
    other = ContractReview.objects.create(
        contract=world.contract_c,
        contract_year=1,
        review_date=date(2025, 6, 20),
        findings="X",
        recommendation="continue",
    )
    assert client.get(reverse("contracts:review_edit", args=[contract.pk, other.pk])).status_code == 404
    assert login(client, world, "state_1").get(url).status_code == 403


def test_a_forbidden_page_says_why(client, world):
    response = login(client, world, "program_p").get(reverse("contracts:edit", args=[world.contract_a.pk]))
    assert response.status_code == 403
    assert (
        'data-testid="forbidden"' in response.text
        and "You may read this contract, not change it." in response.text
    )


def test_state_staff_run_an_rfp_to_a_contract_the_state_signs(client, world):
    schools = free_schools(world.district_a)
    client = login(client, world, "state_1")
    response = client.post(
        reverse("contracts:rfp_create"),
        {
            "district": world.district_a.pk,
            "title": "State RFP",
            "schools": [s.pk for s in schools],
            "status": "open",
        },
    )
    assert response.status_code == 302
    rfp = Rfp.objects.get(title="State RFP")
    assert rfp.authority == "state"
    proposal = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1)
    )
    client.post(reverse("contracts:proposal_select", args=[proposal.pk]), selection_post(reference="STATE-1"))
    contract = PerformanceContract.objects.get(reference="STATE-1")
    assert contract.authority == "state"
    assert client.get(reverse("contracts:targets", args=[contract.pk])).status_code == 200
    assert (
        login(client, world, "district_a").get(reverse("contracts:targets", args=[contract.pk])).status_code
        == 403
    )
    other_state_district = world.district_c
    response = login(client, world, "state_1").post(
        reverse("contracts:rfp_create"),
        {"district": other_state_district.pk, "title": "Outside", "status": "open"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text


def test_editing_an_unrated_proposal_keeps_its_recorded_score(client, world):
    rfp = make_rfp(world)
    proposal = Proposal.objects.create(
        rfp=rfp, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1), score=Decimal("74.00")
    )
    client = login(client, world, "district_a")
    data = {"organization": proposal.organization_id, "submitted_on": "2025-02-01", "status": "under_review"}
    assert (
        client.post(
            reverse("contracts:proposal_edit", args=[proposal.pk]), {**data, "reviewer_notes": "Met them."}
        ).status_code
        == 302
    )
    proposal.refresh_from_db()
    assert (proposal.score, proposal.reviewer_notes) == (Decimal("74.00"), "Met them.")
    client.post(reverse("contracts:proposal_edit", args=[proposal.pk]), {**data, **rubric()})
    proposal.refresh_from_db()
    assert proposal.score == rubric_score(rubric(), None)  # rated now: the rubric decides


def test_the_checklist_records_due_and_done_dates_but_not_future_ones(client, world):
    contract = world.draft_a
    rows = list(contract.checklist.order_by("id"))
    data = formset_post(rows, lambda r: {"due_on": "", "done_on": "", "notes": ""})
    data["form-0-due_on"], data["form-0-done_on"], data["form-0-notes"] = (
        "2025-03-01",
        "2025-02-20",
        "Signed.",
    )
    client = login(client, world, "district_a")
    url = reverse("contracts:checklist", args=[contract.pk])
    assert client.post(url, data).status_code == 302
    first = contract.checklist.order_by("id").first()
    assert (first.due_on, first.done_on, first.notes) == (date(2025, 3, 1), date(2025, 2, 20), "Signed.")
    data["form-1-done_on"] = f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}"
    response = client.post(url, data)
    assert response.status_code == 200 and "A task cannot be done in the future." in response.text
    assert contract.checklist.order_by("id")[1].done_on is None
    page = client.get(reverse("contracts:detail", args=[contract.pk])).text
    assert "1 of 8 done" in page


@pytest.mark.parametrize(
    "view", ["contracts:autonomies", "contracts:responsibilities", "contracts:checklist"]
)
@pytest.mark.parametrize("tamper", ["more_forms", "fewer_initial", "many_forms"])
def test_a_tampered_form_count_is_a_form_error_not_a_500(client, world, view, tamper):
    """These pages edit the rows a contract carries and never add one: a raised TOTAL_FORMS (or a
    lowered INITIAL_FORMS, which would make rows look new) answers with the form and an error,
    and saves nothing."""
    contract = world.draft_a
    url = reverse(view, args=[contract.pk])
    client = login(client, world, "district_a")
    management = client.get(url).context["formset"]
    rows = list(management.queryset)
    fields = [name for name in management.forms[0].fields if name != "id"]
    data = formset_post(
        rows, lambda r: {name: "" if getattr(r, name) is None else str(getattr(r, name)) for name in fields}
    )
    if tamper == "more_forms":
        data["form-TOTAL_FORMS"] = str(len(rows) + 1)
        for name in fields:
            data[f"form-{len(rows)}-{name}"] = data[f"form-0-{name}"] or "granted"
        data[f"form-{len(rows)}-notes"] = "Smuggled"
    elif tamper == "fewer_initial":
        # Rows made to look new: still the contract's rows, edited in place; none is added.
        data["form-INITIAL_FORMS"] = "0"
        data["form-0-notes"] = "Edited in place"
        model = type(rows[0])
        before = model.objects.count()
        assert client.post(url, data).status_code == 302
        assert model.objects.count() == before
        assert model.objects.get(notes="Edited in place").pk == rows[0].pk
        return
    else:
        data["form-TOTAL_FORMS"] = "100000"
    model = type(rows[0])
    before = model.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    assert "Nothing was saved" in response.text
    assert "cannot add any" in response.text
    assert model.objects.count() == before
    assert not model.objects.filter(notes="Smuggled").exists()
