"""Each object's history on its page: who, when, what changed from what to what; only what the
user may see of it; read-only (the admin's history view does not revert)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import ContractReview, Proposal, Rfp
from partners.models import FollowUp, Organization, PriorityPartnerDesignation
from schools.models import NonSchoolDay
from tests.api.conftest import client_for
from tests.factories import SchoolFactory


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_contract_page_shows_review_edits_and_cluster_membership_changes(client, world, acting_as):
    contract, district_staff = world.contract_a, world.users["district_a"]
    client.force_login(district_staff)
    data = {
        "contract_year": "1",
        "review_date": "2025-06-20",
        "findings": "Culture stabilised.",
        "recommendation": "continue",
    }
    assert client.post(reverse("contracts:review_create", args=[contract.pk]), data).status_code == 302
    review = ContractReview.objects.get(contract=contract)
    url = reverse("contracts:review_edit", args=[contract.pk, review.pk])
    assert client.post(url, {**data, "findings": "Attendance slipped in May."}).status_code == 302
    membership = contract.cluster.memberships.select_related("school").last()
    with acting_as(district_staff):
        membership.delete()
    html = page(client, world.users["program_p"], reverse("contracts:detail", args=[contract.pk]))
    assert "findings: Culture stabilised. → Attendance slipped in May." in html
    assert f"{membership.school.name} in {contract.cluster.name}" in html
    assert "removed" in html and district_staff.get_username() in html


def test_the_school_page_shows_an_enrolment_change_and_hides_a_feeder_out_of_view(client, world, acting_as):
    school, district_staff = world.school_a, world.users["district_a"]
    response = client_for(district_staff).patch(
        f"/api/v1/schools/{school.pk}/", {"enrolment": 455}, format="json"
    )
    assert response.status_code == 200
    hidden = SchoolFactory(
        district=world.district_a, name="Hidden High", level="high", grade_low=9, grade_high=12
    )
    with acting_as(district_staff):
        school.feeds_into = hidden
        school.save()
    url = reverse("schools:detail", args=[school.pk])
    html = page(client, world.users["program_p"], url)
    assert "enrolment: 400 → 455" in html and "district_a" in html
    assert "Hidden High" not in html and "feeds into: — → a school outside your view" in html
    assert "feeds into: — → Hidden High" in page(client, district_staff, url)


def test_the_organization_page_shows_its_changes_and_only_the_designations_in_view(client, world, acting_as):
    partner, state_staff = world.partner_p, world.users["state_1"]
    with acting_as(state_staff):
        designation = PriorityPartnerDesignation.objects.create(
            state=world.state_1, organization=partner, designated_on=date(2025, 1, 1), evidence="Two schools."
        )
        designation.evidence = "Three schools turned around."
        designation.save()
    with acting_as(world.users["admin"]):
        Organization.objects.get(pk=partner.pk).save()  # a save that changes nothing shows nothing
        partner.short_name = "Pioneer"
        partner.save()
    url = reverse("partners:detail", args=[partner.pk])
    html = page(client, state_staff, url)
    assert "evidence: Two schools. → Three schools turned around." in html
    assert "short name: — → Pioneer" in html
    other_state = page(client, world.users["state_2"], url)
    assert "short name: — → Pioneer" in other_state and "Three schools turned around." not in other_state


def test_the_calendar_shows_a_removed_non_school_day_to_its_district_only(client, world):
    district_staff = world.users["district_a"]
    client.force_login(district_staff)
    calendar = reverse("schools:calendar")
    form = {"first_day": "2026-11-26", "last_day": "2026-11-26", "description": "Turkey day"}
    assert client.post(calendar, form).status_code == 302
    day = NonSchoolDay.objects.get(district=world.district_a)
    assert client.post(calendar, {"delete": day.pk}).status_code == 302
    html = page(client, district_staff, calendar)
    assert "Nov 26, 2026" in html and "removed" in html and "description: Turkey day" in html
    assert "Turkey day" not in page(client, world.users["district_c"], calendar)


def test_the_rfp_page_shows_score_changes_and_partners_see_their_own(client, world, acting_as):
    district_staff = world.users["district_a"]
    call = Rfp.objects.create(district=world.district_a, title="East side", status="open")
    with acting_as(district_staff):
        for partner, old, new in ((world.partner_p, "60.00", "72.50"), (world.partner_q, "55.00", "58.00")):
            proposal = Proposal.objects.create(
                rfp=call, organization=partner, submitted_on=date(2025, 2, 1), score=Decimal(old)
            )
            proposal.score = Decimal(new)
            proposal.save()
    url = reverse("contracts:rfp_detail", args=[call.pk])
    html = page(client, district_staff, url)
    assert "score: 60.00 → 72.50" in html and "score: 55.00 → 58.00" in html
    own = page(client, world.users["program_p"], url)
    assert "score: 60.00 → 72.50" in own and "58.00" not in own


def test_the_visit_edit_page_shows_the_visits_changes(client, world, acting_as):
    visit, author = world.visit_a, world.users["field_p"]
    with acting_as(author):
        visit.progress = "Coached the grade 4 team."
        visit.focus = ["instructional_support", "principal_check_in"]
        visit.save()
    html = page(client, author, reverse("partners:visit_edit", args=[visit.pk]))
    assert "progress: Coached grade 3 team. → Coached the grade 4 team." in html
    assert "focus: Instructional support → Instructional support, Principal check-in" in html


@pytest.mark.parametrize("app, model", [("partners", "organization"), ("schools", "school")])
def test_the_admins_history_view_reads_and_never_reverts(client, world, acting_as, app, model):
    obj = world.partner_p if model == "organization" else world.school_a
    with acting_as(world.users["admin"]):
        obj.name = f"{obj.name} renamed"
        obj.save()
    record = type(obj).history.filter(id=obj.pk).earliest()
    client.force_login(world.users["admin"])
    history = client.get(reverse(f"admin:{app}_{model}_history", args=[obj.pk]))
    assert history.status_code == 200 and "renamed" in history.content.decode()
    revert = reverse(f"admin:{app}_{model}_simple_history", args=[obj.pk, record.history_id])
    assert client.post(revert, {"name": "reverted"}).status_code == 403
    obj.refresh_from_db()
    assert obj.name.endswith("renamed")


def test_the_visit_list_shows_an_edited_visits_changes_to_its_readers(client, world, acting_as):
    visit, author = world.visit_a, world.users["field_p"]
    url = reverse("partners:visits")
    assert 'data-testid="visit-history"' not in page(client, world.users["district_a"], url)  # as logged
    follow_up = FollowUp.objects.create(
        visit=visit, description="Send the roster", owner="Coach", due_on=date(2024, 10, 20)
    )
    with acting_as(author):
        visit.progress = "Coached the grade 4 team."
        visit.save()
        follow_up.delete()
    html = page(client, world.users["district_a"], url)
    assert "progress: Coached grade 3 team. → Coached the grade 4 team." in html
    assert "Send the roster" in html and "removed" in html
    assert "Coached the grade 4 team." not in page(client, world.users["district_c"], url)


def test_district_staff_in_the_admin_read_only_their_own_districts_calendar_history(client, world):
    staff = world.users["district_a"]
    staff.is_staff = True
    staff.save()
    mine = NonSchoolDay.objects.create(district=world.district_a, date=date(2026, 11, 27), description="Ours")
    theirs = NonSchoolDay.objects.create(
        district=world.district_c, date=date(2026, 11, 27), description="Theirs"
    )
    gone = NonSchoolDay.objects.create(district=world.district_c, date=date(2026, 12, 24), description="Gone")
    gone_pk = gone.pk
    gone.delete()  # found through its history alone
    client.force_login(staff)

    def history(pk):
        return client.get(reverse("admin:schools_nonschoolday_history", args=[pk]))

    assert history(mine.pk).status_code == 200
    assert history(theirs.pk).status_code == 403
    assert history(gone_pk).status_code == 403
