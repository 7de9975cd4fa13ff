"""The access walk: every route of the portal x every method it serves x every role, against the
scope rules of DESIGN.md ("Who may see and do what"), and no response of one tenant holding the
names or ids of another's objects.

How it works
- The routes are read from the URL resolver at run time (includes, the API router and the admin
  site included): nothing is listed by hand but the expectations. A route without an entry in
  EXPECTED, or a method it serves without an expectation, fails `test_every_route_has_an_expectation`
  and its own walk, naming it. The admin site's routes are covered as a group (ADMIN_GROUP below).
- One world, built once for the module: two states, a district in each, two Lead Partners (A works
  in district A, B in district B), each with a contract, cluster, schools, RFP, proposal, review,
  target, measurement, import, field visit, follow-up and designation, plus in district A a school
  and cluster outside partner A's contracts and partner A's terminated contract. Tenant B's objects
  carry distinctive names ("Bravoleak", "Quasar", ...), so that a leak shows in any response.
- Roles: anonymous; district staff of district A; state staff of state A; program and field staff
  of partner A; a signed-in user without a role; an administrator. For a route with an object in
  its URL each role asks for the object of tenant A and the object of tenant B.
- Outcomes: "ok" (GET: 200; a write let through: any answer but 401/403/404/405 or a 500, an
  invalid body's 400/422 included), "403", "404", "login" (a page's redirect to the login page),
  "401" (the API, anonymous: token authentication asks for credentials), "405". A write refused
  must also leave the database as it was: not one row inserted, updated or deleted (rows_written).
- Leaks: every 200 GET of a non-admin role is searched for the names, page links and (API) ids of
  objects outside its scope (FOREIGN_KINDS); the evidence pack in the HTML its PDF is drawn from.
- The rule (Rule.expected): anonymous -> login (pages) or 401 (API); an object outside the role's
  scope -> 404; in scope (or on a page without an object) but not allowed -> 403; else ok. The API
  refuses a role that may never write a resource before it looks up the object (403 for any id:
  the answer says nothing about the object), which Rule.gate models.
- Every write runs in a savepoint that is rolled back, so each case starts from the same world.
- KNOWN_GAPS lists the cases where the code answers otherwise today (issue 13). Those are reported
  as expected failures (xfail); a listed gap that no longer fails makes the test fail, so that the
  list is emptied as the fixes land.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.views.generic.edit import ProcessFormView

from contracts.models import ContractReview, PerformanceContract, Proposal, Rfp
from indicators.models import Measurement, MeasurementImport
from partners.models import FollowUp, PriorityPartnerDesignation, ServiceArea
from tests.clock import pinned_now
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    MeasurementFactory,
    OrganizationFactory,
    SchoolFactory,
    StateFactory,
    UserFactory,
    cluster_target,
    indicator,
    user_with_role,
)
from turnaround.models import Role
from turnaround.tokens import issue_token

# Roles ---------------------------------------------------------------------------------------------
ANON, DISTRICT, STATE, PROGRAM, FIELD, ADMIN = "anonymous", "district", "state", "program", "field", "admin"
NO_ROLE = "no_role"  # signed in, without a profile: "anyone else: nothing"
ROLES = (ANON, DISTRICT, STATE, PROGRAM, FIELD, NO_ROLE, ADMIN)
STAFF = frozenset({DISTRICT, STATE, PROGRAM, FIELD})  # the staff roles of tenant A
LOGGED_IN = STAFF | {NO_ROLE, ADMIN}
EVERYONE = LOGGED_IN | {ANON}
ADMIN_ONLY = frozenset({ADMIN})
NOBODY = frozenset()


# Expectations ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """What one method of one route answers each role.

    allow: roles let through. see: for a route with an object, the roles whose scope holds tenant
    A's object (None: a route without an object); see_b / allow_b: the same for tenant B's object.
    gate: the API's resource-level check, before the object (roles outside it get 403 for any id).
    anon: what anonymous gets when not allowed. served: False for a method the route does not
    serve (405 once past the login check)."""

    allow: frozenset = LOGGED_IN
    see: frozenset | None = None
    see_b: frozenset = ADMIN_ONLY
    allow_b: frozenset | None = None
    gate: frozenset | None = None
    anon: str = "login"
    served: bool = True

    def expected(self, role, tenant):
        if role == ANON and ANON not in self.allow:
            return self.anon
        if not self.served:
            return "405"
        if self.see is None:
            return "ok" if role in self.allow else "403"
        if self.gate is not None and role not in self.gate:
            return "403"
        seen, allowed = (self.see, self.allow) if tenant == "A" else (self.see_b, self.allow_b or self.allow)
        if role not in seen:
            return "404"
        return "ok" if role in allowed else "403"


def page(allow=LOGGED_IN):
    """A page without an object in its URL: login required; roles not allowed get 403."""
    return Rule(allow=frozenset(allow))


def seen(see, see_b=ADMIN_ONLY):
    """Reading an object: whoever's scope holds it (an administrator's holds everything)."""
    return Rule(allow=LOGGED_IN, see=frozenset(see) | ADMIN_ONLY, see_b=frozenset(see_b))


def obj(see, allow, see_b=ADMIN_ONLY, allow_b=None):
    """Writing an object: 404 outside the scope, 403 in it but not allowed."""
    return Rule(
        allow=frozenset(allow),
        see=frozenset(see) | ADMIN_ONLY,
        see_b=frozenset(see_b),
        allow_b=None if allow_b is None else frozenset(allow_b),
    )


PUBLIC = Rule(allow=EVERYONE)
NOT_SERVED = Rule(allow=NOBODY, served=False)  # a page's method it does not serve: login, then 405
NOT_SERVED_PUBLIC = Rule(allow=NOBODY, served=False, anon="405")


def api_list(allow=LOGGED_IN):
    return Rule(allow=frozenset(allow), anon="401")


def api_seen(see, see_b=ADMIN_ONLY):
    return Rule(allow=LOGGED_IN, see=frozenset(see) | ADMIN_ONLY, see_b=frozenset(see_b), anon="401")


def api_write(see, gate, allow, see_b=ADMIN_ONLY, allow_b=None):
    return Rule(
        allow=frozenset(allow),
        see=frozenset(see) | ADMIN_ONLY,
        see_b=frozenset(see_b),
        allow_b=None if allow_b is None else frozenset(allow_b),
        gate=frozenset(gate),
        anon="401",
    )


@dataclass(frozen=True)
class Route:
    """A route's expectations: the kind of object its URL names (None: none), the tenants walked
    for it, and a Rule per method (GET always; every other method the route serves)."""

    obj: str | None = None
    methods: dict = field(default_factory=dict)
    tenants: tuple = ("A", "B")
    api: bool = False


def R(obj=None, tenants=("A", "B"), **methods):
    return Route(obj=obj, methods=methods, tenants=tenants if obj else ("-",))


def A(obj=None, tenants=("A", "B"), **methods):
    return Route(obj=obj, methods=methods, tenants=tenants if obj else ("-",), api=True)


CONTRACT_WRITE = obj(STAFF, {DISTRICT, ADMIN})  # terms, targets, lifecycle: the authority's staff
RFP_WRITE = obj({DISTRICT, STATE, PROGRAM}, {DISTRICT, ADMIN})  # issued RFPs are public to partners
VISIT_AUTHOR = obj(STAFF, {FIELD})  # only the author (field staff A logged visit A)

EXPECTED = {
    # The dashboard, its export and the evidence pack.
    "home": R(GET=page()),
    "dashboard:attention": R(GET=page()),
    "dashboard:export_csv": R(GET=page()),
    "dashboard:evidence_pack": R("contract", GET=seen(STAFF)),
    # Contracts, RFPs and proposals.
    "contracts:list": R(GET=page()),
    "contracts:detail": R("contract", GET=seen(STAFF)),
    "contracts:statuses": R("contract", GET=seen(STAFF)),
    "contracts:rfps": R(GET=page()),
    "contracts:rfp_create": R(GET=page({DISTRICT, STATE, ADMIN}), POST=page({DISTRICT, STATE, ADMIN})),
    "contracts:rfp_detail": R("rfp", GET=seen({DISTRICT, STATE, PROGRAM})),
    "contracts:rfp_edit": R("rfp", GET=RFP_WRITE, POST=RFP_WRITE),
    "contracts:proposal_create": R("rfp", GET=RFP_WRITE, POST=RFP_WRITE),
    "contracts:proposal_edit": R("proposal", GET=RFP_WRITE, POST=RFP_WRITE),
    "contracts:proposal_select": R("proposal", GET=RFP_WRITE, POST=RFP_WRITE),
    "contracts:self_audit_preview": R(GET=page({DISTRICT, STATE, ADMIN})),
    "contracts:edit": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:schools": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:autonomies": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:responsibilities": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:checklist": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:targets": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:transition": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:review_create": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:review_edit": R("review", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    "contracts:decision_create": R("contract", GET=CONTRACT_WRITE, POST=CONTRACT_WRITE),
    # Schools and the district calendar (kept by the district's own staff).
    "schools:list": R(GET=page()),
    "schools:detail": R("school", GET=seen(STAFF)),
    "schools:calendar": R(GET=page(), POST=page({DISTRICT})),
    # Organizations (every organization is seen by district and state staff) and designations
    # (managed by state staff).
    "partners:list": R(GET=page()),
    "partners:detail": R("organization", GET=seen(STAFF, see_b={DISTRICT, STATE, ADMIN})),
    "partners:designation_new": R(
        "organization",
        GET=obj(STAFF, {STATE, ADMIN}, see_b={DISTRICT, STATE, ADMIN}),
        POST=obj(STAFF, {STATE, ADMIN}, see_b={DISTRICT, STATE, ADMIN}),
    ),
    "partners:designation_edit": R(
        "designation", GET=obj(STAFF, {STATE, ADMIN}), POST=obj(STAFF, {STATE, ADMIN})
    ),
    # Field visits: logged by Lead Partner staff, edited by their author.
    "partners:visits": R(GET=page()),
    "partners:edit_window": R(GET=NOT_SERVED, POST=page({PROGRAM})),
    "partners:visit_new": R(GET=page({PROGRAM, FIELD}), POST=page({PROGRAM, FIELD})),
    "partners:visit_edit": R("visit", GET=VISIT_AUTHOR, POST=VISIT_AUTHOR),
    "partners:visit_delete": R("visit", GET=VISIT_AUTHOR, POST=VISIT_AUTHOR),
    "partners:follow_up_row": R(GET=page({PROGRAM, FIELD})),
    "partners:follow_ups": R(GET=page()),
    "partners:follow_up_close": R("follow_up", GET=NOT_SERVED, POST=obj(STAFF, {PROGRAM, FIELD})),
    "partners:presence": R(GET=page()),
    "partners:presence_alert": R(GET=page()),
    "partners:barriers": R(GET=page()),
    # Measurements: verified and disputed by district staff, answered by program staff; imports
    # by district and program staff, seen by the uploader's body.
    "indicators:measurements": R(GET=page()),
    "indicators:bulk_verify": R(GET=NOT_SERVED, POST=page({DISTRICT, ADMIN})),
    "indicators:measurement_detail": R("measurement", GET=seen(STAFF)),
    "indicators:verify": R("measurement", GET=NOT_SERVED, POST=obj(STAFF, {DISTRICT, ADMIN})),
    "indicators:dispute": R("measurement", GET=NOT_SERVED, POST=obj(STAFF, {DISTRICT, ADMIN})),
    "indicators:answer": R("measurement", GET=NOT_SERVED, POST=obj(STAFF, {PROGRAM, ADMIN})),
    "indicators:imports": R(GET=page()),
    "indicators:import_new": R(GET=page({DISTRICT, PROGRAM, ADMIN}), POST=page({DISTRICT, PROGRAM, ADMIN})),
    "indicators:import_detail": R("import", GET=seen({PROGRAM})),
    # The user's own profile and tokens (tenant B's token: another user's, which nobody revokes).
    "profile": R(GET=page()),
    "token_create": R(GET=NOT_SERVED, POST=page()),
    "token_revoke": R("token", GET=NOT_SERVED, POST=obj(LOGGED_IN, LOGGED_IN, see_b=NOBODY)),
    # Django's authentication pages.
    "login": R(GET=PUBLIC, POST=PUBLIC),
    "logout": R(GET=NOT_SERVED_PUBLIC, POST=PUBLIC),
    "password_change": R(GET=page(), POST=page()),
    "password_change_done": R(GET=page()),
    "password_reset": R(GET=PUBLIC, POST=PUBLIC),
    "password_reset_done": R(GET=PUBLIC),
    "password_reset_confirm": R(GET=PUBLIC, POST=PUBLIC),
    "password_reset_complete": R(GET=PUBLIC),
    # The API (anonymous: 401), its schema and docs (public: they describe, hold no data).
    "api:token": A(GET=NOT_SERVED_PUBLIC, POST=PUBLIC),
    "api:schema": A(GET=PUBLIC),
    "api:docs": A(GET=PUBLIC),
    "api:district-list": A(GET=api_list(), POST=api_list(ADMIN_ONLY)),
    "api:district-detail": A(
        "district",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        PATCH=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
    ),
    "api:school-list": A(GET=api_list(), POST=api_list({DISTRICT, ADMIN})),
    "api:school-detail": A(
        "school",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        PATCH=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
    ),
    "api:cluster-list": A(GET=api_list(), POST=api_list({DISTRICT, ADMIN})),
    "api:cluster-detail": A(
        "cluster",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        PATCH=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
    ),
    # Organizations: district and state staff edit those working only in their district or state
    # (partner A: a contract in district A); the organization's own program staff its description
    # (partners/organizations.py); any other only an administrator.
    "api:partner-list": A(GET=api_list(), POST=api_list({DISTRICT, STATE, ADMIN})),
    "api:partner-detail": A(
        "organization",
        GET=api_seen(STAFF, see_b={DISTRICT, STATE, ADMIN}),
        PUT=api_write(
            STAFF,
            {DISTRICT, STATE, PROGRAM, ADMIN},
            {DISTRICT, STATE, PROGRAM, ADMIN},
            {DISTRICT, STATE, ADMIN},
            ADMIN_ONLY,
        ),
        PATCH=api_write(
            STAFF,
            {DISTRICT, STATE, PROGRAM, ADMIN},
            {DISTRICT, STATE, PROGRAM, ADMIN},
            {DISTRICT, STATE, ADMIN},
            ADMIN_ONLY,
        ),
    ),
    "api:contract-list": A(GET=api_list(), POST=api_list({DISTRICT, ADMIN})),
    "api:contract-detail": A(
        "contract",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        PATCH=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
    ),
    "api:contract-status": A("contract", GET=api_seen(STAFF)),
    "api:indicator-list": A(GET=api_list(), POST=api_list(ADMIN_ONLY)),
    "api:indicator-detail": A(
        "indicator",
        tenants=("A",),  # the catalog: the same for every tenant
        GET=api_seen(LOGGED_IN),
        PUT=api_write(LOGGED_IN, ADMIN_ONLY, ADMIN_ONLY),
        PATCH=api_write(LOGGED_IN, ADMIN_ONLY, ADMIN_ONLY),
        DELETE=api_write(LOGGED_IN, ADMIN_ONLY, ADMIN_ONLY),
    ),
    "api:target-list": A(GET=api_list(), POST=api_list({DISTRICT, ADMIN})),
    "api:target-detail": A(
        "target",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        PATCH=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
        DELETE=api_write(STAFF, {DISTRICT, ADMIN}, {DISTRICT, ADMIN}),
    ),
    "api:measurement-list": A(GET=api_list(), POST=api_list({DISTRICT, PROGRAM, ADMIN})),
    "api:measurement-detail": A("measurement", GET=api_seen(STAFF)),
    "api:import-list": A(GET=api_list(), POST=api_list({DISTRICT, PROGRAM, ADMIN})),
    "api:import-detail": A("import", GET=api_seen({PROGRAM})),
    "api:field-visit-list": A(GET=api_list(), POST=api_list({PROGRAM, FIELD, ADMIN})),
    "api:field-visit-detail": A(
        "visit",
        GET=api_seen(STAFF),
        PUT=api_write(STAFF, {PROGRAM, FIELD, ADMIN}, {FIELD, ADMIN}),
        PATCH=api_write(STAFF, {PROGRAM, FIELD, ADMIN}, {FIELD, ADMIN}),
        DELETE=api_write(STAFF, {PROGRAM, FIELD, ADMIN}, {FIELD, ADMIN}),
    ),
}

# The admin site, as a group: every route under admin/ (named or not), GET only (its writes go
# through its own permission and CSRF machinery, which Django tests). Anonymous and every portal
# role (none is `is_staff`) are sent to the admin's login, on every route but the login page
# itself; the administrator is let in: whatever the admin site answers then (a page, a redirect to
# the change page, its own 403 for a read-only model's add page, 405 for logout by GET) is the
# admin's own model permissions, not a scope, so anything but a login redirect or a 500 passes.
ADMIN_GROUP = "admin/"
ADMIN_LOGIN_PAGE = "admin:login"  # shown to anyone not yet signed in as staff
ADMIN_LOGOUT = "admin:logout"  # sends anyone not signed in as staff to the admin's index, then login

# Where the code answers otherwise today. Key: (route, method, role); each case of that key (tenant
# A's object, tenant B's) that mismatches is an expected failure. A key here whose cases all pass
# fails the test: remove it.
KNOWN_GAPS = {}


# Cases beyond the plain walk: a request the plain walk's minimal bodies cannot make.
# (route, method, role, label): what the answer must be; see `extra_request`.
EXTRA_CASES = {
    # Program staff write measurements for their organization's schools under a contract in force,
    # never for the school of a contract that ended (issue 13: "writes beyond the contract").
    ("api:measurement-list", "POST", PROGRAM, "terminated contract's school"): "refused",
    ("indicators:import_new", "POST", PROGRAM, "terminated contract's school"): "refused",
    # A contract's authority is fixed when it is drafted (issue 13: "district staff can change a
    # contract's authority through the API"): a read-only field of the API, which DRF ignores in a
    # write, as it does every read-only field.
    ("api:contract-detail", "PATCH", DISTRICT, "authority changed"): "unchanged",
}


# Leaks: what tenant A's roles must never read, by role ----------------------------------------------
# Tenant B's names all hold "Bravoleak"; partner B is "Quasar" (district and state staff see every
# organization); district A's school and cluster outside partner A's contracts hold "Outsider";
# partner A's terminated contract and its school hold "Bygone" (program staff read their
# organization's past contracts; field staff only contracts on the ground); tenant A's hold "Alpha"
# (a user without a role sees none of either).
FOREIGN_KINDS = {
    DISTRICT: ("tenant_b",),
    STATE: ("tenant_b",),
    PROGRAM: ("tenant_b", "partner_b", "outside_partner"),
    FIELD: ("tenant_b", "partner_b", "outside_partner", "past_contracts"),
    NO_ROLE: ("tenant_a", "tenant_b", "partner_b", "outside_partner", "past_contracts"),
}
MARKERS = {
    "tenant_a": ("alpha",),
    "tenant_b": ("bravoleak",),
    "partner_b": ("quasar",),
    "outside_partner": ("outsider",),
    "past_contracts": ("bygone",),
}


# Routes ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoundRoute:
    key: str  # the route's name with its namespace, or its pattern when unnamed
    pattern: str
    callback: object
    name: str | None

    @property
    def is_admin(self):
        return self.pattern.startswith(ADMIN_GROUP)


def walk_resolver(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk_resolver(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield FoundRoute(
                name or prefix + str(entry.pattern), prefix + str(entry.pattern), entry.callback, name
            )


# Routes deliberately not walked, with the reason. Static files are served by whitenoise's
# middleware, not by a URL pattern, so there is nothing to list for them.
EXCLUDED = {}


def all_routes():
    routes = [r for r in walk_resolver(get_resolver().url_patterns) if r.key not in EXCLUDED]
    keys = [r.key for r in routes]
    assert len(keys) == len(set(keys)), (
        f"two routes share a key: {sorted(k for k in keys if keys.count(k) > 1)}"
    )
    return routes


ROUTES = all_routes()


def served_methods(route):
    """The methods a route serves, from its view: a viewset's action map, else the class's handlers
    (a FormView's put, which only repeats post, left out). GET is always walked."""
    callback = route.callback
    actions = getattr(callback, "actions", None)
    if actions:
        # DRF adds "head" to a viewset's action map at its first request (in place): HEAD answers
        # as GET does, so it is not walked apart, whatever ran before.
        methods = {m.upper() for m in actions} - {"HEAD"}
    else:
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view is None:
            methods = {"GET"}
        else:
            methods = {
                m.upper()
                for m in ("get", "post", "put", "patch", "delete")
                if m in view.http_method_names and hasattr(view, m)
            }
            if "PUT" in methods and view.put is ProcessFormView.put:
                methods.discard("PUT")
    return ["GET"] + sorted(methods - {"GET"})


# The world ------------------------------------------------------------------------------------------
def build_world():
    state_a = StateFactory(code="AQ", name="Alpha State")
    state_b = StateFactory(code="BQ", name="Bravoleak State")
    district_a = DistrictFactory(state=state_a, name="Alpha District")
    district_b = DistrictFactory(state=state_b, name="Bravoleak District")
    partner_a = OrganizationFactory(name="Alpha Partners")
    partner_b = OrganizationFactory(name="Quasar Learning")

    school_x = SchoolFactory(district=district_a, name="Outsider School", state_id="OUTSIDER01")
    schools_a = [
        SchoolFactory(
            district=district_a, name=f"Alpha School {n}", state_id=f"ALPHA0{n}", feeds_into=school_x
        )
        for n in (1, 2)
    ]
    schools_b = [
        SchoolFactory(district=district_b, name=f"Bravoleak School {n}", state_id=f"BRAVOLEAK0{n}")
        for n in (1, 2)
    ]
    cluster_a = ClusterFactory(district=district_a, name="Alpha cluster", schools=schools_a)
    cluster_b = ClusterFactory(district=district_b, name="Bravoleak cluster", schools=schools_b)
    cluster_x = ClusterFactory(district=district_a, name="Outsider cluster", schools=[schools_a[0], school_x])
    contract_a = ContractFactory(
        reference="ALPHA-1",
        name="Alpha contract",
        district=district_a,
        cluster=cluster_a,
        lead_partner=partner_a,
        lifecycle_status="active",
    )
    contract_b = ContractFactory(
        reference="BRAVOLEAK-1",
        name="Bravoleak contract",
        district=district_b,
        cluster=cluster_b,
        lead_partner=partner_b,
        lifecycle_status="active",
    )
    school_old = SchoolFactory(district=district_a, name="Bygone School", state_id="BYGONE01")
    contract_old = ContractFactory(
        reference="BYGONE-1",
        name="Bygone contract",
        district=district_a,
        cluster=ClusterFactory(district=district_a, name="Bygone cluster", schools=[school_old]),
        lead_partner=partner_a,
        start_date=date(2020, 7, 1),
        end_date=date(2025, 6, 30),
        lifecycle_status="terminated",
    )

    users = {
        DISTRICT: user_with_role(Role.DISTRICT_STAFF, district_a, username="alpha_district"),
        STATE: user_with_role(Role.STATE_STAFF, state_a, username="alpha_state"),
        PROGRAM: user_with_role(Role.PARTNER_PROGRAM, partner_a, username="alpha_program"),
        FIELD: user_with_role(Role.PARTNER_FIELD, partner_a, username="alpha_field"),
        NO_ROLE: UserFactory(username="walk_no_role"),
        ADMIN: UserFactory(username="walk_admin", is_superuser=True, is_staff=True),
    }
    program_b = user_with_role(Role.PARTNER_PROGRAM, partner_b, username="bravoleak_program")
    field_b = user_with_role(Role.PARTNER_FIELD, partner_b, username="bravoleak_field")

    def tenant(district, state, partner, contract, schools, cluster, label, program, field_staff):
        rfp = Rfp.objects.create(
            district=district,
            title=f"{label} RFP",
            # Issued RFPs are public to every Lead Partner: tenant B's is a draft, so that nothing
            # of it is legitimately seen by partner A.
            status="open" if label == "Alpha" else "draft",
            issued_on=date(2026, 1, 5) if label == "Alpha" else None,
        )
        rfp.schools.set([SchoolFactory(district=district, name=f"{label} RFP School")])
        visit = FieldVisitFactory(
            school=schools[0],
            organization=partner,
            staff=field_staff,
            visit_date=date(2026, 10, 12),
            progress=f"{label} visit progress",
            barriers=f"{label} barrier",
        )
        designation = PriorityPartnerDesignation.objects.create(
            state=state, organization=partner, designated_on=date(2025, 1, 1), evidence=f"{label} evidence"
        )
        designation.service_areas.set(ServiceArea.objects.all()[:1])
        return SimpleNamespace(
            district=district,
            state=state,
            organization=partner,
            contract=contract,
            school=schools[0],
            cluster=cluster,
            rfp=rfp,
            proposal=Proposal.objects.create(
                rfp=rfp, organization=partner, submitted_on=date(2026, 2, 1), summary=f"{label} proposal"
            ),
            review=ContractReview.objects.create(
                contract=contract,
                contract_year=1,
                review_date=date(2025, 6, 1),
                findings=f"{label} review findings",
                recommendation="continue",
            ),
            target=cluster_target(contract, "attendance_rate", 1, 80, 90),
            measurement=MeasurementFactory(school=schools[0], value=91.25),
            import_=MeasurementImport.objects.create(
                uploaded_by=program, file_name=f"{label.lower()}.csv", channel="browser", status="applied"
            ),
            visit=visit,
            follow_up=FollowUp.objects.create(
                visit=visit, description=f"{label} follow-up", owner="Coach", due_on=date(2026, 10, 20)
            ),
            designation=designation,
            indicator=indicator("attendance_rate"),
        )

    a = tenant(
        district_a,
        state_a,
        partner_a,
        contract_a,
        schools_a,
        cluster_a,
        "Alpha",
        users[PROGRAM],
        users[FIELD],
    )
    b = tenant(
        district_b, state_b, partner_b, contract_b, schools_b, cluster_b, "Bravoleak", program_b, field_b
    )
    # Every role's own token (tenant A's token for token_revoke); tenant B's: another user's.
    tokens = {role: issue_token(user, "walk")[0] for role, user in users.items()}
    tokens_b = issue_token(program_b, "walk")[0]

    foreign = {
        "tenant_b": [
            ("district", district_b),
            ("school", schools_b[0]),
            ("school", schools_b[1]),
            ("cluster", cluster_b),
            ("contract", contract_b),
            ("rfp", b.rfp),
            ("proposal", b.proposal),
            ("measurement", b.measurement),
            ("import", b.import_),
            ("visit", b.visit),
            ("target", b.target),
        ],
        "partner_b": [("organization", partner_b)],
        "outside_partner": [("school", school_x), ("cluster", cluster_x)],
        "past_contracts": [("contract", contract_old), ("school", school_old)],
        "tenant_a": [
            ("district", district_a),
            ("school", schools_a[0]),
            ("school", schools_a[1]),
            ("cluster", cluster_a),
            ("contract", contract_a),
            ("rfp", a.rfp),
            ("proposal", a.proposal),
            ("measurement", a.measurement),
            ("import", a.import_),
            ("visit", a.visit),
            ("target", a.target),
            ("organization", partner_a),
        ],
    }
    return SimpleNamespace(
        a=a,
        b=b,
        users=users,
        tokens=tokens,
        token_b=tokens_b,
        school_old=school_old,
        contract_old=contract_old,
        foreign=foreign,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module inside a transaction rolled back at its end; each
    test's own savepoint (pytest-django's `db`) keeps the tests apart."""
    fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), time_machine.travel(pinned_now(), tick=True), fast_passwords:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            clients = {ANON: Client()}
            for role, user in built.users.items():
                clients[role] = Client()
                clients[role].force_login(user)
            built.clients = clients
            built.users[ANON] = None
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# The requests ---------------------------------------------------------------------------------------
API_KIND = {
    "district": "district",
    "school": "school",
    "cluster": "cluster",
    "partner": "organization",
    "contract": "contract",
    "target": "target",
    "measurement": "measurement",
    "import": "import",
    "field-visit": "visit",
}


def object_of(world, kind, tenant, role):
    side = world.a if tenant == "A" else world.b
    if kind == "token":
        return world.tokens.get(role, world.token_b) if tenant == "A" else world.token_b
    return getattr(side, "import_" if kind == "import" else kind.replace("-", "_"))


def url_kwargs(route, spec, world, tenant, role):
    if spec.obj is None:
        if route.key == "password_reset_confirm":
            return {"uidb64": "MQ", "token": "set-password"}
        return {}
    thing = object_of(world, spec.obj, tenant, role)
    if spec.obj == "token":
        return {"token_key": thing.token_key}
    if spec.obj == "review":
        return {"pk": thing.contract_id, "review_pk": thing.pk}
    if route.key == "partners:designation_edit":
        return {"designation": thing.pk}
    return {"pk": thing.pk}


def body_for(route, method, world):
    """A minimal body: enough to reach the access decision (and valid where that is easy)."""
    a = world.a
    bodies = {
        "indicators:bulk_verify": {"ids": [a.measurement.pk, world.b.measurement.pk]},
        "indicators:dispute": {"text": "Please check this value."},
        "indicators:answer": {"comment": "Checked."},
        "partners:follow_up_close": {"closing_note": "Done."},
        "partners:edit_window": {"visit_edit_window_days": 5},
    }
    return bodies.get(route.key, {})


def send(client, method, url, body, api, multipart=False):
    if method == "GET":
        return client.get(url)
    if method == "POST" and (not api or multipart):
        return client.post(url, body)
    return getattr(client, method.lower())(url, data=json.dumps(body), content_type="application/json")


def outcome_of(response, method, api):
    status = response.status_code
    if status == 401 and not response.headers.get("WWW-Authenticate"):
        return "401 without WWW-Authenticate"
    if status in (401, 403, 404, 405):
        return str(status)
    if status == 302 and not api:
        location = response.headers.get("Location", "")
        if location.startswith(reverse("login")):
            return "login"
        if location.startswith(reverse("admin:login")):
            return "admin_login"
    if status >= 500:
        return str(status)
    if method == "GET":
        return "ok" if status == 200 else ("redirect" if status == 302 else str(status))
    return "ok"


def rows_written():
    """How many rows this connection has inserted, updated or deleted so far (SQLite: in its
    life; PostgreSQL: in the current transaction): a refused write must not move it. Any table
    counts, sessions included."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            )
        return cursor.fetchone()[0]


def measurements_fingerprint():
    return repr(list(Measurement.objects.order_by("pk").values_list()))


# Leak checks ----------------------------------------------------------------------------------------
def response_text(response):
    content_type = response.get("Content-Type", "")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if "application/pdf" in content_type and raw.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(raw)).pages)
    return raw.decode("utf-8", "replace")


PAGE_URLS = {
    "contract": "contracts:detail",
    "school": "schools:detail",
    "organization": "partners:detail",
    "rfp": "contracts:rfp_detail",
    "measurement": "indicators:measurement_detail",
    "import": "indicators:import_detail",
    "visit": "partners:visit_edit",
}
ID_KEYS = {
    "school": "school",
    "feeds_into": "school",
    "schools": "school",
    "district": "district",
    "contract": "contract",
    "cluster": "cluster",
    "clusters": "cluster",
    "lead_partner": "organization",
    "organization": "organization",
}


def foreign_of(world, role):
    found = []
    for kind in FOREIGN_KINDS.get(role, ()):
        found.extend(world.foreign[kind])
    return found


def ids_in(value, kind, into):
    """(kind, id) pairs of a JSON value that is an id, a list of ids, an object with an id."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        into.add((kind, value))
    elif isinstance(value, dict) and "id" in value:
        ids_in(value["id"], kind, into)
    elif isinstance(value, list):
        for item in value:
            ids_in(item, kind, into)


def leaks(world, role, route, response):
    """What a response shows of objects outside the role's scope: markers in the text, links to
    their pages, and (API) their ids."""
    foreign = foreign_of(world, role)
    if not foreign:
        return []
    text = response_text(response)
    lowered = text.lower()
    found = [
        f"names {marker!r}" for kind in FOREIGN_KINDS[role] for marker in MARKERS[kind] if marker in lowered
    ]
    if route.key.startswith("api:") and "json" in response.get("Content-Type", ""):
        data = json.loads(text)
        items = data.get("results", [data]) if isinstance(data, dict) else data
        resource = API_KIND.get(route.key.removeprefix("api:").rsplit("-", 1)[0])
        shown = set()
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if resource:
                ids_in(item.get("id"), resource, shown)
            for key, kind in ID_KEYS.items():
                ids_in(item.get(key), kind, shown)
        found += [f"holds the id of {kind} {thing}" for kind, thing in foreign if (kind, thing.pk) in shown]
    else:
        for kind, thing in foreign:
            if kind in PAGE_URLS and reverse(PAGE_URLS[kind], args=[thing.pk]) in text:
                found.append(f"links to {kind} {thing}")
    return found


# The walk -------------------------------------------------------------------------------------------
def expected_admin(route, role):
    if role == ADMIN:
        return "admitted"
    return {ADMIN_LOGIN_PAGE: "ok", ADMIN_LOGOUT: "redirect"}.get(route.key, "admin_login")


def admin_url(route):
    """A URL for an admin route, naming the model's first row where the route takes an object."""
    parts = route.pattern.split("/")
    row = None
    if len(parts) > 3 and apps.all_models.get(parts[1], {}).get(parts[2]):
        row = apps.get_model(parts[1], parts[2])._default_manager.order_by("pk").first()
    pk = row.pk if row else 0
    if route.name is None:
        if "(?P<url>" in route.pattern:
            return "/admin/no-such-page/"
        return "/" + route.pattern.replace("<path:object_id>", str(pk))
    for kwargs in ({}, {"object_id": pk}, {"id": pk}, {"app_label": "schools"}):
        try:
            return reverse(route.name, kwargs=kwargs)
        except NoReverseMatch:
            pass
    for args in ([pk, 0], [1, 1]):  # an object's history entry; view on site (content type, object)
        try:
            return reverse(route.name, args=args)
        except NoReverseMatch:
            pass
    raise AssertionError(f"no URL for the admin route {route.key} ({route.pattern})")


def walk_admin(route, world):
    mismatches = {}
    url = admin_url(route)
    for role in ROLES:
        try:
            got = outcome_of(world.clients[role].get(url), "GET", api=False)
        except Exception as error:  # noqa: BLE001  a 500: reported as a mismatch
            got = f"raised {type(error).__name__}: {error}"
        want = expected_admin(route, role)
        failed = (
            got in ("admin_login", "login") or got.startswith("raised") or (got.isdigit() and int(got) >= 500)
        )
        if want == "admitted" and failed:
            mismatches.setdefault(("GET", role), []).append(
                f"GET {url} as {role}: {got}, expected to be let in"
            )
        elif want != "admitted" and got != want:
            mismatches.setdefault(("GET", role), []).append(f"GET {url} as {role}: {got}, expected {want}")
    return mismatches


def case_request(world, route, spec, method, role, tenant):
    url = reverse(route.name, kwargs=url_kwargs(route, spec, world, tenant, role))
    client = world.clients[role]
    if route.key == "logout":  # logs the client out: a client of its own
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
    return url, client


def walk_route(route, spec, world):
    """{(method, role): [what differed]} for one route."""
    mismatches = {}
    methods = served_methods(route)
    missing = [m for m in methods if m not in spec.methods]
    if missing:
        return {("*", "*"): [f"{route.key} serves {', '.join(missing)} with no expectation in EXPECTED"]}
    for method in methods:
        rule = spec.methods[method]
        for tenant in spec.tenants:
            for role in ROLES:
                want = rule.expected(role, tenant)
                url, client = case_request(world, route, spec, method, role, tenant)
                body = body_for(route, method, world)
                with transaction.atomic():
                    written = rows_written()
                    try:
                        response = send(
                            client, method, url, body, spec.api, multipart=route.key == "api:import-list"
                        )
                    except Exception as error:  # noqa: BLE001  a 500: reported as a mismatch
                        got, response = f"raised {type(error).__name__}: {error}", None
                    else:
                        got = outcome_of(response, method, spec.api)
                    if want == "ok" and got == "login" and ANON in rule.allow:
                        got = "ok"  # a public page whose answer is the login page (logout)
                    problems = []
                    if got != want:
                        problems.append(f"{method} {url} as {role} (tenant {tenant}): {got}, expected {want}")
                    elif method != "GET" and want not in ("ok", "405") and rows_written() != written:
                        problems.append(f"{method} {url} as {role} (tenant {tenant}): refused, but wrote")
                    if response is not None and got == "ok" and method == "GET" and role in STAFF | {NO_ROLE}:
                        found = leaks(world, role, route, response)
                        if found:
                            problems.append(f"GET {url} as {role} (tenant {tenant}) " + "; ".join(found))
                    transaction.set_rollback(True)
                if problems:
                    mismatches.setdefault((method, role), []).extend(problems)
    return mismatches


def walk_extra(route, world):
    """The EXTRA_CASES of a route: a body the plain walk does not send. "refused": a 400, 403, 404
    or 422 (a page: any answer) that leaves what the request aimed at as it was; "unchanged": any
    answer but a 500 that leaves it as it was."""
    mismatches = {}
    for (key, method, role, label), want in EXTRA_CASES.items():
        if key != route.key:
            continue
        request, state = extra_request(world, key, label)
        before = state()
        with transaction.atomic():
            response = request(world.clients[role])
            wrote = state() != before
            transaction.set_rollback(True)
        status = response.status_code
        refused = not wrote and (status in (400, 403, 404, 422) or not route.key.startswith("api:"))
        if want == "refused" and not refused:
            mismatches.setdefault((method, f"{role}: {label}"), []).append(
                f"{method} {route.key} as {role} ({label}): {status}, "
                f"{'wrote' if wrote else 'wrote nothing'}; expected a refusal that writes nothing"
            )
        if want == "unchanged" and (wrote or status >= 500):
            mismatches.setdefault((method, f"{role}: {label}"), []).append(
                f"{method} {route.key} as {role} ({label}): {status}, "
                f"{'wrote' if wrote else 'wrote nothing'}; expected it left as it was"
            )
    return mismatches


def extra_request(world, key, label):
    """(a function sending the request with a client, a function reading the state it aims at)."""
    row = {
        "school_id": world.school_old.state_id,
        "indicator": "attendance_rate",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "value": 90,
    }
    if key == "api:measurement-list":
        url = reverse("api:measurement-list")
        return (
            lambda client: client.post(url, data=json.dumps(row), content_type="application/json"),
            measurements_fingerprint,
        )
    if key == "indicators:import_new":
        csv = ",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n"
        url = reverse("indicators:import_new")
        return (
            lambda client: client.post(
                url, {"file": SimpleUploadedFile("old.csv", csv.encode(), "text/csv")}
            ),
            measurements_fingerprint,
        )
    if key == "api:contract-detail":
        contract = world.a.contract
        url = reverse("api:contract-detail", args=[contract.pk])
        return (
            lambda client: client.patch(
                url, data=json.dumps({"authority": "state"}), content_type="application/json"
            ),
            lambda: PerformanceContract.objects.values_list("authority", flat=True).get(pk=contract.pk),
        )
    raise AssertionError(f"no request for the extra case {key} {label}")


# The tests ------------------------------------------------------------------------------------------
def test_every_route_has_an_expectation():
    """The guard: a route added without an expectation fails here (and in its own walk), as does
    an expectation or a known gap left behind by a route that is gone."""
    keys = {r.key for r in ROUTES}
    missing = sorted(r.key for r in ROUTES if not r.is_admin and r.key not in EXPECTED)
    stale = sorted(set(EXPECTED) - keys)
    stale_gaps = sorted(k for k in KNOWN_GAPS if k[0] not in keys)
    stale_extra = sorted(k for k in EXTRA_CASES if k[0] not in keys)
    unserved = sorted(
        f"{r.key} {m}"
        for r in ROUTES
        if r.key in EXPECTED
        for m in EXPECTED[r.key].methods
        if m not in served_methods(r)
    )
    assert not missing, f"routes without an expectation in EXPECTED: {missing}"
    assert not stale, f"expectations for routes that no longer exist: {stale}"
    assert not stale_gaps, f"KNOWN_GAPS for routes that no longer exist: {stale_gaps}"
    assert not stale_extra, f"EXTRA_CASES for routes that no longer exist: {stale_extra}"
    assert not unserved, f"expectations for methods the route does not serve: {unserved}"


@pytest.fixture
def html_evidence_pack(monkeypatch):
    """The evidence pack as the HTML its PDF is drawn from: the access decision and every word of
    the pack are the same, without drawing a PDF per case (seconds each; tests/dashboard draws it)."""
    from django.template.loader import render_to_string

    from turnaround.dashboard import evidence

    monkeypatch.setattr(
        evidence,
        "render_pdf",
        lambda context: render_to_string("dashboard/evidence_pack.html", context).encode(),
    )


@pytest.mark.parametrize("route", ROUTES, ids=[r.key for r in ROUTES])
def test_access_walk(route, world, db, html_evidence_pack):
    if route.is_admin:
        mismatches = walk_admin(route, world)
    elif route.key not in EXPECTED:
        pytest.fail(f"{route.key} ({route.pattern}) has no expectation in EXPECTED: add one")
    else:
        mismatches = walk_route(route, EXPECTED[route.key], world)
        mismatches.update(walk_extra(route, world))
    known = {k[1:]: reason for k, reason in KNOWN_GAPS.items() if k[0] == route.key}
    unexpected = {k: v for k, v in mismatches.items() if k not in known}
    fixed = sorted(k for k in known if k not in mismatches)
    report = []
    if unexpected:
        report.append("Outcomes other than the scope rules give:")
        report += [f"  {line}" for lines in unexpected.values() for line in lines]
    if fixed:
        report.append("KNOWN_GAPS that no longer fail (remove them):")
        report += [f"  {(route.key, *k)}: {known[k]}" for k in fixed]
    if report:
        pytest.fail("\n".join(report))
    if known:
        pytest.xfail("; ".join(f"{k}: {reason}" for k, reason in known.items()))
