"""Who may change an organization and a contract's authority through the API (issue 13: cross-tenant
edits). Organizations are seen by every district and state; only the district or state every tie
of which it is in, its own program staff (its self-description) and administrators change one."""

from datetime import date

import pytest

from contracts.models import Proposal, Rfp, Subcontract
from partners.models import Organization, PriorityPartnerDesignation
from tests.factories import ContractFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def patch(api, who, organization, body):
    return api(who).patch(f"/api/v1/partners/{organization.pk}/", body, format="json")


@pytest.mark.parametrize("who", ["district_c", "state_2"])
def test_another_district_or_state_cannot_rename_a_lead_partner(world, api, who):
    # Pioneer works only in Alpha Unified (IL): Gamma City and Ohio see it but may not change it.
    response = patch(api, who, world.partner_p, {"name": "=HYPERLINK(1)", "description": "x"})
    assert response.status_code == 403, response.content
    assert "detail" in response.json()
    world.partner_p.refresh_from_db()
    assert world.partner_p.name == "Pioneer Schools Network" and world.partner_p.description != "x"


@pytest.mark.parametrize("who", ["district_a", "state_1", "admin"])
def test_the_district_or_state_it_works_in_edits_it(world, api, who):
    response = patch(api, who, world.partner_p, {"short_name": "Pioneer", "website": "https://p.example"})
    assert response.status_code == 200, response.content
    world.partner_p.refresh_from_db()
    assert (world.partner_p.short_name, world.partner_p.website) == ("Pioneer", "https://p.example")


def rfp_in(district):
    return Rfp.objects.create(district=district, title="An RFP", status="open")


@pytest.mark.parametrize(
    "tie",
    ["contract", "proposal", "subcontract", "designation"],
)
def test_one_tie_in_another_tenant_leaves_it_to_administrators(world, api, tie):
    """An organization working in Gamma City (OH) too is no longer Alpha Unified's or Illinois'
    to change, whatever the tie: a contract, a proposal, a subcontract or Ohio's designation."""
    if tie == "contract":
        ContractFactory(district=world.district_c, lead_partner=world.partner_p)
    elif tie == "proposal":
        Proposal.objects.create(
            rfp=rfp_in(world.district_c), organization=world.partner_p, submitted_on=date(2026, 9, 1)
        )
    elif tie == "subcontract":
        Subcontract.objects.create(
            contract=world.contract_c,
            supporting_partner=world.partner_p,
            services="Coaching",
            start_date=date(2026, 8, 1),
            end_date=date(2027, 6, 30),
        )
    else:
        PriorityPartnerDesignation.objects.create(
            state=world.state_2, organization=world.partner_p, designated_on=date(2026, 8, 1), evidence="x"
        )
    for who in ("district_a", "state_1", "district_c", "state_2"):
        assert patch(api, who, world.partner_p, {"description": "x"}).status_code == 403, who
    assert patch(api, "admin", world.partner_p, {"description": "Vetted."}).status_code == 200


def test_a_designation_by_its_own_state_keeps_it_the_districts(world, api):
    PriorityPartnerDesignation.objects.create(
        state=world.state_1, organization=world.partner_p, designated_on=date(2026, 8, 1), evidence="x"
    )
    assert patch(api, "district_a", world.partner_p, {"description": "Ours."}).status_code == 200
    assert patch(api, "state_1", world.partner_p, {"description": "Ours too."}).status_code == 200


def test_an_organization_with_no_tie_yet_is_edited_by_district_or_state_staff(world, api):
    added = api("district_a").post(
        "/api/v1/partners/", {"name": "New Horizons", "kind": "union"}, format="json"
    )
    assert added.status_code == 201, added.content
    fresh = Organization.objects.get(pk=added.json()["id"])
    assert patch(api, "district_a", fresh, {"short_name": "NH"}).status_code == 200
    Proposal.objects.create(rfp=rfp_in(world.district_a), organization=fresh, submitted_on=date(2026, 9, 1))
    # Its first tie (a proposal to Alpha Unified) decides: Gamma City may no longer change it.
    assert patch(api, "district_c", fresh, {"short_name": "X"}).status_code == 403
    assert patch(api, "district_a", fresh, {"short_name": "New H."}).status_code == 200


def test_program_staff_edit_their_own_organizations_self_description_only(world, api):
    response = patch(
        api, "program_p", world.partner_p, {"description": "We turn schools around.", "founded_year": 1999}
    )
    assert response.status_code == 200, response.content
    world.partner_p.refresh_from_db()
    assert world.partner_p.description == "We turn schools around." and world.partner_p.founded_year == 1999
    for body in ({"name": "Quest Learning Partners 2"}, {"short_name": "Quest"}, {"kind": "union"}):
        refused = patch(api, "program_p", world.partner_p, body)
        assert refused.status_code == 403, body
        assert "district or state it works with" in refused.json()["detail"]
    world.partner_p.refresh_from_db()
    assert world.partner_p.name == "Pioneer Schools Network" and world.partner_p.short_name == ""
    # Sending its current name back (a client writing the whole object) is no change.
    same = patch(api, "program_p", world.partner_p, {"name": "Pioneer Schools Network", "website": ""})
    assert same.status_code == 200, same.content


def test_partner_staff_cannot_edit_another_organization(world, api):
    supporting = OrganizationFactory(name="Reading Allies")
    Subcontract.objects.create(
        contract=world.contract_a,
        supporting_partner=supporting,
        services="Tutoring",
        start_date=date(2026, 8, 1),
        end_date=date(2027, 6, 30),
    )
    # Its subcontractor is seen by Pioneer's program staff (403); Quest is not (404).
    assert patch(api, "program_p", supporting, {"description": "x"}).status_code == 403
    assert patch(api, "program_p", world.partner_q, {"description": "x"}).status_code == 404
    assert patch(api, "field_p", world.partner_p, {"description": "x"}).status_code == 403
    assert api("program_p").post("/api/v1/partners/", {"name": "Mine", "kind": "union"}).status_code == 403
    assert not Organization.objects.filter(description="x").exists()


def test_district_staff_cannot_change_a_contracts_authority(world, api):
    """No contract form sets the authority (it comes from the RFP): the API shows it, read-only."""
    response = api("district_a").patch(
        f"/api/v1/contracts/{world.contract_a.pk}/", {"authority": "state", "notes": "Signed."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["authority"] == "district"
    world.contract_a.refresh_from_db()
    assert world.contract_a.authority == "district" and world.contract_a.notes == "Signed."
    schema = api("district_a").get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Contract"]["properties"]["authority"].get("readOnly") is True
