"""The demo portal: the real cases of the source documents, with data shaped by their results.

AUSL in Chicago, Mastery in Philadelphia, Green Dot's Locke cluster in Los Angeles, Friendship in
Baltimore, a terminated contract of a fictional partner in Baltimore, and a pre-launch contract in
Massachusetts with the state as contracting authority and its vetted priority partners. School
names beyond those the documents give, state ids, enrolments and the fictional organizations
(marked "demo") are invented.

Contract dates are anchored to the current school year (it starts on 1 July), so the phases are
the same whenever the demo is built. Everything is looked up by natural keys and updated in place:
building twice leaves the same data.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contracts import services
from contracts.models import (
    ContractAutonomy,
    ContractDecision,
    ContractResponsibility,
    ContractReview,
    PerformanceContract,
    PreLaunchChecklistItem,
    Proposal,
    Rfp,
    Subcontract,
    Target,
)
from indicators import engine
from indicators.models import Indicator, Measurement
from partners.models import (
    FieldVisit,
    FollowUp,
    Organization,
    PriorityPartnerDesignation,
    SelfAudit,
    SelfAuditAnswer,
    SelfAuditItem,
    ServiceArea,
)
from schools.models import Cluster, ClusterMembership, District, PartnershipZone, School, State
from turnaround.models import Role, UserProfile

PASSWORD = "demo-password"
MONTHLY = [
    "attendance_rate",
    "days_absent_per_student",
    "discipline_incidents",
    "violent_incidents",
    "formative_assessment_proficiency",
]
ANNUAL = [
    "enrolment",
    "chronic_absence_rate",
    "teacher_retention_rate",
    "student_turnover_rate",
    "ela_proficiency",
    "math_proficiency",
    "graduation_rate",
    "college_enrolment_rate",
    "state_index_score",
]
HIGH_SCHOOL_ONLY = {"graduation_rate", "college_enrolment_rate"}
SCHOOL_MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6]


def school_year_start(today):
    return date(today.year if today.month >= 7 else today.year - 1, 7, 1)


@dataclass
class Plan:
    """One demo contract: its schools and how its indicators move, year by year.

    `levels` gives, per indicator, the cluster's level in the year before the start (the baseline)
    and in each contract year after it; the last one holds for later years. `school_spread` shifts
    schools apart around that level. Annual sums (incidents, days absent) are levels per school."""

    reference: str
    name: str
    district: str
    partner: str
    cluster: str
    schools: list  # (state id, name, level, grade low, grade high, enrolment)
    start_offset: int  # years from the current school year's start
    term: int
    lifecycle: list  # transitions after draft: (status, effective day offset from the start, reason)
    levels: dict
    authority: str = "district"
    zone: str = ""
    funding: tuple = (9800, 8, 1_500_000)
    grants: dict = field(default_factory=dict)
    school_spread: float = 2.0
    notes: str = ""


STATES = [
    ("IL", "Illinois"),
    ("PA", "Pennsylvania"),
    ("CA", "California"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
]
DISTRICTS = [
    ("IL", "Chicago Public Schools", "1709930"),
    ("PA", "The School District of Philadelphia", "4218990"),
    ("CA", "Los Angeles Unified School District", "0622710"),
    ("MD", "Baltimore City Public Schools", "2400090"),
    ("MA", "Springfield Public Schools", "2511130"),
]
ORGANIZATIONS = [
    # name, short name, kind, home state, founded, unionized staff, description
    (
        "Academy for Urban School Leadership",
        "AUSL",
        "school_management",
        "IL",
        2001,
        True,
        "Non-profit specialising in teacher preparation and school management; turnarounds with Chicago "
        "Public "
        "Schools since 2006 (Sherman), 2007 (Harvard) and six more in 2008-9.",
    ),
    (
        "Mastery Charter Schools",
        "Mastery",
        "school_management",
        "PA",
        2001,
        False,
        "Charter management organization; turned three chronically low-performing Philadelphia schools into "
        "college-prep middle-high charters from 2005.",
    ),
    (
        "Green Dot Public Schools",
        "Green Dot",
        "school_management",
        "CA",
        1999,
        True,
        "Charter network; from fall 2008 turned Locke High School around by phasing in smaller schools.",
    ),
    (
        "Friendship Public Charter School",
        "Friendship",
        "school_management",
        None,
        1997,
        None,
        "Lead Partner of four partnership schools in Baltimore City.",
    ),
    (
        "Harborview Learning Partners (demo)",
        "Harborview",
        "other_nonprofit",
        "MD",
        2009,
        None,
        "A fictional partner, for the demo's terminated contract.",
    ),
    (
        "Commonwealth Turnaround Collaborative (demo)",
        "CTC",
        "other_nonprofit",
        "MA",
        2008,
        True,
        "A fictional Massachusetts priority partner, Lead Partner of the demo's pre-launch contract.",
    ),
    (
        "Bay State Teaching Fellows (demo)",
        "BSTF",
        "supporting_partner",
        "MA",
        2004,
        None,
        "A fictional supporting partner for human capital: recruiting and training teachers.",
    ),
    (
        "Pioneer Valley University School Partnership (demo)",
        "PVU",
        "university",
        "MA",
        1995,
        None,
        "A fictional university partner for data use and leadership coaching.",
    ),
    (
        "Extended Day Alliance (demo)",
        "EDA",
        "supporting_partner",
        "MA",
        2006,
        None,
        "A fictional supporting partner for expanded learning time.",
    ),
    (
        "Englewood Tutoring Corps (demo)",
        "ETC",
        "supporting_partner",
        "IL",
        2010,
        None,
        "A fictional supporting partner: high-dosage tutoring.",
    ),
]
DESIGNATIONS = [
    ("Commonwealth Turnaround Collaborative (demo)", ["whole_school_turnaround", "climate_culture"]),
    ("Bay State Teaching Fellows (demo)", ["human_capital"]),
    ("Pioneer Valley University School Partnership (demo)", ["data_assessment", "leadership"]),
    ("Extended Day Alliance (demo)", ["learning_time", "social_emotional_health"]),
]

# level pieces shared by several plans
COMMON = {
    "chronic_absence_rate": [38, 31, 27, 24, 22, 21],
    "discipline_incidents": [260, 330, 220, 170, 150, 140],  # a bump in year 1, as the seed warns
    "violent_incidents": [40, 30, 22, 16, 13, 12],
    "teacher_retention_rate": [52, 80, 85, 87, 87, 88],
    "student_turnover_rate": [24, 20, 18, 16, 16, 15],
    "formative_assessment_proficiency": [28, 34, 40, 46, 50, 53],
    "days_absent_per_student": [18, 13, 12, 11, 10.5, 10],
}

PLANS = [
    Plan(
        reference="CPS-LP-2024-01",
        name="AUSL Englewood cluster",
        district="Chicago Public Schools",
        partner="Academy for Urban School Leadership",
        cluster="Englewood cluster",
        schools=[
            ("IL-DEMO-0101", "Sherman School of Excellence", "k8", 0, 8, 520),
            ("IL-DEMO-0102", "Harvard School of Excellence", "k8", 0, 8, 480),
            ("IL-DEMO-0103", "Johnson School of Excellence", "k8", 0, 8, 400),
            ("IL-DEMO-0104", "Orr Academy High School", "high", 9, 12, 900),
        ],
        start_offset=-2,
        term=5,
        lifecycle=[
            ("pre_launch", -300, "MOU signed with the Board of Education."),
            ("active", 0, "Contract year 1 begins."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [86.0, 90.5, 92.0, 93.0],
            "ela_proficiency": [30, 33.5, 37.5, 41],
            "math_proficiency": [35, 38, 40.5, 43],
            "graduation_rate": [52, 56, 61, 65],
            "college_enrolment_rate": [38, 45, 52, 58],
            "enrolment": [2300, 2330, 2360, 2400],
        },
        grants={
            "modified_cba": "partial",
            "reassign_staff": "granted",
            "choose_principal": "granted",
            "streamlined_procurement": "partial",
            "choose_central_services": "partial",
        },
        notes="AUSL hires new principals and replaces up to 50% of staff; staff stay unionized.",
    ),
    Plan(
        reference="CPS-LP-2026-02",
        name="AUSL Southside cluster",
        district="Chicago Public Schools",
        partner="Academy for Urban School Leadership",
        cluster="Southside cluster",
        schools=[
            ("IL-DEMO-0201", "Dulles School of Excellence", "k8", 0, 8, 450),
            ("IL-DEMO-0202", "Morton School of Excellence", "k8", 0, 8, 380),
            ("IL-DEMO-0203", "Bethune School of Excellence", "k8", 0, 8, 350),
        ],
        start_offset=0,
        term=3,
        lifecycle=[
            ("pre_launch", -240, "MOU signed; school design under way."),
            ("active", 0, "Contract year 1 begins."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [84.0, 88.5, 91.0],
            "ela_proficiency": [24, 28, 33],
            "math_proficiency": [22, 26, 31],
            "enrolment": [1180, 1200, 1230],
        },
        grants={"modified_cba": "partial", "reassign_staff": "granted", "choose_principal": "granted"},
    ),
    Plan(
        reference="SDP-RN-2023-07",
        name="Mastery turnaround campuses",
        district="The School District of Philadelphia",
        partner="Mastery Charter Schools",
        cluster="Mastery campuses",
        schools=[
            ("PA-DEMO-0301", "Mastery Charter School - Pickett Campus", "6_12", 7, 12, 640),
            ("PA-DEMO-0302", "Mastery Charter School - Shoemaker Campus", "6_12", 7, 12, 700),
            ("PA-DEMO-0303", "Mastery Charter School - Thomas Campus", "6_12", 7, 12, 660),
        ],
        start_offset=-3,
        term=5,
        lifecycle=[
            ("pre_launch", -270, "Charter conversion agreed."),
            ("active", 0, "Contract year 1 begins."),
            ("renewed", 3 * 365 + 30, "Renewed after the year 3 review: gaps closed in 8th grade math."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [85.0, 91.0, 92.5, 93.5],
            "ela_proficiency": [22, 32, 40, 46, 50],
            "math_proficiency": [20, 24, 33, 42, 48],
            "violent_incidents": [50, 10, 9, 8, 8],
            "student_turnover_rate": [27, 18, 17, 16, 15],
            "graduation_rate": [55, 70, 78, 83, 86],
            "college_enrolment_rate": [40, 100, 100, 98, 100],
            "enrolment": [2000, 2050, 2080, 2100, 2100],
        },
        grants={
            key: "granted"
            for key in (
                "choose_principal",
                "reassign_staff",
                "modified_cba",
                "extended_time",
                "control_schedule",
                "control_funding",
                "control_school_design",
                "select_supporting_partners",
                "choose_central_services",
            )
        },
        funding=(10400, 10, 2_200_000),
        notes="The charter gives Mastery full control of all conditions; staff are not unionized.",
    ),
    Plan(
        reference="LAUSD-LP-2025-03",
        name="Green Dot Locke cluster",
        district="Los Angeles Unified School District",
        partner="Green Dot Public Schools",
        cluster="Locke cluster",
        schools=[
            ("CA-DEMO-0401", "Animo Locke Technology High School", "high", 9, 12, 600),
            ("CA-DEMO-0402", "Animo Locke #1 College Prep Academy", "high", 9, 12, 600),
            ("CA-DEMO-0403", "Animo Locke #2 College Prep Academy", "high", 9, 12, 600),
            ("CA-DEMO-0404", "Animo Locke #3 College Prep Academy", "high", 9, 12, 600),
        ],
        start_offset=-1,
        term=5,
        lifecycle=[
            ("pre_launch", -365, "Partnership agreed with LAUSD."),
            ("active", 0, "Contract year 1 begins."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [77.8, 89.3, 90.6],
            "state_index_score": [480, 504, 516],
            "ela_proficiency": [14, 17, 20],
            "math_proficiency": [9, 11, 14],
            "graduation_rate": [35, 50, 54],
            "college_enrolment_rate": [25, 33, 38],
            "enrolment": [2400, 2932, 3000],
        },
        grants={
            "choose_principal": "granted",
            "reassign_staff": "granted",
            "modified_cba": "granted",
            "control_school_design": "granted",
            "control_funding": "partial",
        },
        school_spread=0.0,
        notes="Principals can be hired and fired at will; only 40 of 120 teachers stayed. Teachers have "
        "their own union.",
    ),
    Plan(
        reference="BCPS-LP-2022-04",
        name="Friendship partnership schools",
        district="Baltimore City Public Schools",
        partner="Friendship Public Charter School",
        cluster="Friendship partnership schools",
        schools=[
            ("MD-DEMO-0501", "Friendship Academy of Engineering and Technology", "6_12", 6, 12, 520),
            ("MD-DEMO-0502", "Friendship Academy of Science and Technology", "6_12", 6, 12, 540),
            ("MD-DEMO-0503", "Friendship Academy of Arts and Media", "middle", 6, 8, 380),
            ("MD-DEMO-0504", "Friendship Preparatory Academy Westport", "elementary", 0, 5, 410),
        ],
        start_offset=-4,
        term=5,
        lifecycle=[
            ("pre_launch", -200, "Performance contract signed."),
            ("active", 0, "Contract year 1 begins."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [83.0, 87.0, 89.0, 90.0, 91.0],
            "ela_proficiency": [26, 30, 34, 38, 41, 44],
            "math_proficiency": [21, 25, 29, 33, 36, 39],
            "graduation_rate": [58, 62, 66, 70, 73],
            "college_enrolment_rate": [35, 40, 45, 50, 54],
            "enrolment": [1750, 1800, 1860, 1900, 1930, 1950],
        },
        grants={"reassign_staff": "granted", "choose_principal": "granted", "control_funding": "granted"},
        notes="Funding follows enrolment: the partner is paid per pupil it attracts and retains.",
    ),
    Plan(
        reference="BCPS-LP-2024-09",
        name="Harborview cluster (terminated)",
        district="Baltimore City Public Schools",
        partner="Harborview Learning Partners (demo)",
        cluster="Harborview cluster",
        schools=[
            ("MD-DEMO-0601", "Westside Elementary School", "elementary", 0, 5, 330),
            ("MD-DEMO-0602", "Harbor Middle School", "middle", 6, 8, 420),
        ],
        start_offset=-2,
        term=5,
        lifecycle=[
            ("pre_launch", -180, "Performance contract signed."),
            ("active", 0, "Contract year 1 begins."),
            ("probation", 365 + 45, "Year 1 review: attendance and discipline off track."),
            ("terminated", 2 * 365 - 1, "Outcomes did not improve during probation."),
        ],
        levels={
            **COMMON,
            "attendance_rate": [84.0, 82.5, 82.0],
            "ela_proficiency": [27, 25, 24],
            "math_proficiency": [22, 21, 21],
            "discipline_incidents": [200, 290, 300],
            "enrolment": [750, 700, 660],
        },
        notes="A fictional partner: the demo's example of a contract lost when outcomes do not improve.",
    ),
    Plan(
        reference="MA-DESE-2027-01",
        name="Springfield Empowerment Zone cluster",
        district="Springfield Public Schools",
        partner="Commonwealth Turnaround Collaborative (demo)",
        cluster="Commerce feeder cluster",
        zone="Springfield Empowerment Zone",
        authority="state",
        schools=[
            ("MA-DEMO-0701", "Chestnut Middle School", "middle", 6, 8, 520),
            ("MA-DEMO-0702", "Kiley Middle School", "middle", 6, 8, 610),
            ("MA-DEMO-0703", "Commerce High School", "high", 9, 12, 1100),
        ],
        start_offset=1,
        term=5,
        lifecycle=[("pre_launch", -180, "Selected through the state's RFP; MOU signed.")],
        levels={
            **COMMON,
            "attendance_rate": [86.5, 89.0, 91.0],
            "ela_proficiency": [31, 35, 40],
            "math_proficiency": [24, 28, 33],
            "graduation_rate": [61, 66, 71],
            "college_enrolment_rate": [42, 47, 52],
            "enrolment": [2230, 2250, 2280],
        },
        grants={"extended_time": "granted", "control_schedule": "granted", "reassign_staff": "partial"},
    ),
]

TARGET_GOALS = {  # final-year goals relative to the baseline, for the targets of every plan
    "attendance_rate": lambda b: min(96.0, b + 8),
    "chronic_absence_rate": lambda b: b * 0.55,
    "discipline_incidents": lambda b: b * 0.6,
    "violent_incidents": lambda b: b * 0.4,
    "enrolment": lambda b: b * 1.05,
    "teacher_retention_rate": lambda b: max(b, 85.0),
    "formative_assessment_proficiency": lambda b: b + 20,
    "ela_proficiency": lambda b: b + 15,
    "math_proficiency": lambda b: b + 15,
    "state_index_score": lambda b: b + 60,
    "graduation_rate": lambda b: min(95.0, b + 20),
    "college_enrolment_rate": lambda b: min(95.0, b + 20),
}


class DemoBuilder:
    def __init__(self, today=None, out=None):
        self.today = today or timezone.localdate()
        self.sy = school_year_start(self.today)
        self.out = out
        self.indicators = {}
        self.counts = {}

    def build(self):
        with transaction.atomic():
            self.indicators = {i.code: i for i in Indicator.objects.all()}
            self.places()
            self.organizations()
            self.make_users()
            contracts = [self.contract(plan) for plan in PLANS]
            self.rfp_for_prelaunch(contracts[-1])
            self.terminated_story(contracts[5])
            self.subcontracts(contracts)
            self.field_visits(contracts[0])
            engine.recompute_contracts([c.pk for c in contracts], as_of=self.today)
        return contracts

    # places and bodies -------------------------------------------------------------------------
    def places(self):
        self.states = {}
        for code, name in STATES:
            self.states[code], _ = State.objects.update_or_create(code=code, defaults={"name": name})
        self.districts = {}
        for state, name, nces in DISTRICTS:
            self.districts[name], _ = District.objects.update_or_create(
                state=self.states[state], name=name, defaults={"nces_id": nces}
            )
        self.zone, _ = PartnershipZone.objects.update_or_create(
            district=self.districts["Springfield Public Schools"],
            name="Springfield Empowerment Zone",
            defaults={
                "conditions": "Flexible conditions on staffing, time, budget and program, agreed by the "
                "district, the state and the teachers' union.",
                "established_on": date(self.sy.year - 2, 1, 15),
            },
        )

    def organizations(self):
        self.orgs = {}
        for name, short, kind, state, founded, union, description in ORGANIZATIONS:
            self.orgs[name], _ = Organization.objects.update_or_create(
                name=name,
                defaults={
                    "short_name": short,
                    "kind": kind,
                    "home_state": self.states.get(state),
                    "founded_year": founded,
                    "unionized_staff": union,
                    "description": description,
                },
            )
        ma = self.states["MA"]
        areas = {a.code: a for a in ServiceArea.objects.all()}
        for name, codes in DESIGNATIONS:
            designation, _ = PriorityPartnerDesignation.objects.update_or_create(
                state=ma,
                organization=self.orgs[name],
                designated_on=date(self.sy.year - 1, 9, 1),
                defaults={
                    "expires_on": date(self.sy.year + 2, 8, 31),
                    "evidence": "Track record reviewed by the Office of District and School Turnaround: "
                    "measurable gains in partner schools over three years, references from "
                    "districts served, independent evaluation.",
                },
            )
            designation.service_areas.set([areas[c] for c in codes])
        items = list(SelfAuditItem.objects.all())
        for name, no_items in (
            ("Commonwealth Turnaround Collaborative (demo)", {"high_schools", "capital"}),
            ("Academy for Urban School Leadership", set()),
        ):
            audit, _ = SelfAudit.objects.update_or_create(
                organization=self.orgs[name],
                completed_on=date(self.sy.year - 1, 10, 1),
                defaults={"summary": "Answers to the Lead Partner self-audit, submitted with the proposal."},
            )
            for item in items:
                answer = "partly" if item.code in no_items else "yes"
                SelfAuditAnswer.objects.update_or_create(audit=audit, item=item, defaults={"answer": answer})

    def make_users(self):
        specs = [
            (
                "district",
                "Dana",
                "Reyes",
                Role.DISTRICT_STAFF,
                {"district": self.districts["Chicago Public Schools"]},
                "Turnaround office, contract manager",
            ),
            (
                "state",
                "Sam",
                "Whitfield",
                Role.STATE_STAFF,
                {"state": self.states["MA"]},
                "Office of District and School Turnaround",
            ),
            (
                "partner",
                "Pat",
                "Okafor",
                Role.PARTNER_PROGRAM,
                {"organization": self.orgs["Academy for Urban School Leadership"]},
                "Director of data and evaluation",
            ),
            (
                "field",
                "Frankie",
                "Nguyen",
                Role.PARTNER_FIELD,
                {"organization": self.orgs["Academy for Urban School Leadership"]},
                "Field staff, Sherman",
            ),
        ]
        self.users = {}
        for username, first, last, role, body, title in specs:
            user = self._user(username, first, last)
            UserProfile.objects.update_or_create(
                user=user,
                defaults={
                    "role": role,
                    "district": None,
                    "state": None,
                    "organization": None,
                    "title": title,
                    **body,
                },
            )
            self.users[username] = user
        admin = self._user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
        self.users["admin"] = admin

    @staticmethod
    def _user(username, first, last, **flags):
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.example.org",
                "is_active": True,
                **flags,
            },
        )
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return user

    # contracts ---------------------------------------------------------------------------------
    def contract(self, plan):
        district = self.districts[plan.district]
        schools = []
        for state_id, name, level, low, high, enrolment in plan.schools:
            school, _ = School.objects.update_or_create(
                state_id=state_id,
                defaults={
                    "district": district,
                    "name": name,
                    "level": level,
                    "grade_low": low,
                    "grade_high": high,
                    "enrolment": enrolment,
                },
            )
            schools.append(school)
        high = [s for s in schools if s.level == "high"]
        for school in schools:
            if high and school not in high and school.feeds_into_id != high[0].pk:
                school.feeds_into = high[0]
                school.save(update_fields=["feeds_into"])
        cluster, _ = Cluster.objects.update_or_create(
            district=district, name=plan.cluster, defaults={"zone": self.zone if plan.zone else None}
        )
        for school in schools:
            ClusterMembership.objects.get_or_create(cluster=cluster, school=school)

        start = self.sy.replace(year=self.sy.year + plan.start_offset)
        end = start.replace(year=start.year + plan.term) - timedelta(days=1)
        per_pupil, share, grant = plan.funding
        terms = {
            "name": plan.name,
            "district": district,
            "authority": plan.authority,
            "lead_partner": self.orgs[plan.partner],
            "cluster": cluster,
            "start_date": start,
            "end_date": end,
            "per_pupil_allocation": per_pupil,
            "central_office_share_pct": share,
            "improvement_grant_amount": grant,
            "notes": plan.notes,
            "mou_signed_on": min(self.today, start + timedelta(days=plan.lifecycle[0][1])),
            "signed_on": min(self.today, start + timedelta(days=plan.lifecycle[0][1] + 30)),
        }
        contract = PerformanceContract.objects.filter(reference=plan.reference).first()
        if contract is None:
            contract = services.create_contract(
                reference=plan.reference, created_by=self.users["district"], schools=schools, **terms
            )
            for status, offset, reason in plan.lifecycle:
                services.transition_contract(
                    contract,
                    status,
                    user=self.users["district"],
                    reason=reason,
                    effective_on=min(self.today, start + timedelta(days=offset)),
                )
            contract.refresh_from_db()
        else:
            for key, value in terms.items():
                setattr(contract, key, value)
            contract.save()
        for code, grant_value in plan.grants.items():
            ContractAutonomy.objects.filter(contract=contract, item__code=code).update(grant=grant_value)
        undecided = ContractResponsibility.objects.filter(contract=contract, owner="undecided")
        if plan.reference != "CPS-LP-2024-01":  # the Englewood contract keeps two items to settle
            undecided.filter(item__code__in=["curricula", "select_data"]).update(owner="lead_partner")
            undecided.filter(item__code__in=["design_facility", "co_curriculars"]).update(owner="shared")
        else:
            undecided.filter(item__code="curricula").update(owner="lead_partner")
        for item in PreLaunchChecklistItem.objects.filter(contract=contract):
            done = start < self.today or item.task in (
                "mou_signed",
                "school_design_final",
                "community_engagement",
            )
            item.due_on = start - timedelta(days=30)
            item.done_on = min(start - timedelta(days=45), self.today) if done else None
            item.save()
        self.measurements(
            plan, contract, schools, start, until=min(self.today, contract.ended_on or self.today)
        )
        self.targets(plan, contract, schools, start)
        return contract

    def _level(self, plan, code, year_index):
        """The cluster's level of an indicator in a year: 0 = the year before the start."""
        levels = plan.levels.get(code)
        if not levels:
            return None
        return levels[min(year_index, len(levels) - 1)]

    def _school_level(self, plan, code, year_index, position, school, schools):
        level = self._level(plan, code, year_index)
        if level is None:
            return None
        indicator = self.indicators[code]
        if indicator.is_count:  # the cluster's count, shared out: enrolment by size, incidents evenly
            share = (
                school.enrolment / sum(s.enrolment for s in schools)
                if code == "enrolment"
                else 1 / len(schools)
            )
            return level * share
        offset = (position - (len(schools) - 1) / 2) * plan.school_spread
        return level + (offset if indicator.direction == "higher" else -offset)

    def measurements(self, plan, contract, schools, start, until):
        """Monthly and annual values from the year before the start up to `until`."""
        supplier = self.users["partner"] if plan.partner == "Academy for Urban School Leadership" else None
        rows = []
        first_year = start.year - 1  # the school year before the start gives the baselines
        for year in range(first_year, self.sy.year + 1):
            year_index = year - first_year
            for position, school in enumerate(schools):
                rng = random.Random(f"{school.state_id}:{year}")
                for code in MONTHLY:
                    annual = self._school_level(plan, code, year_index, position, school, schools)
                    if annual is None:
                        continue
                    for month in SCHOOL_MONTHS:
                        month_year = year if month >= 7 else year + 1
                        first = date(month_year, month, 1)
                        last = date(month_year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
                        if last > until:
                            continue
                        if self.indicators[code].aggregation == "sum":
                            value = max(0.0, annual / 10 * (1 + rng.uniform(-0.2, 0.2)))
                        else:
                            value = annual + rng.uniform(-1.0, 1.0)
                        rows.append(self._measurement(school, code, first, last, value))
                for code in ANNUAL:
                    if code in HIGH_SCHOOL_ONLY and school.level not in ("high", "6_12"):
                        continue
                    value = self._school_level(plan, code, year_index, position, school, schools)
                    last = date(year + 1, 6, 30)
                    if value is None or last > until:
                        continue
                    noise = 0 if code == "enrolment" else rng.uniform(-0.8, 0.8)
                    rows.append(self._measurement(school, code, date(year, 7, 1), last, value + noise))
        for row in rows:
            row.supplied_by = supplier
        if rows:  # one measurement reported, one disputed, the rest verified by the district
            rows[-1].verification = "reported"
            rows[len(rows) // 2].verification = "disputed"
            rows[len(rows) // 2].dispute_reason = "The district's attendance system shows a different figure."
        Measurement.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["school", "indicator", "period_start", "period_end", "student_group"],
            update_fields=["value", "source", "supplied_by", "verification", "dispute_reason"],
        )
        self.counts["measurements"] = self.counts.get("measurements", 0) + len(rows)

    def _measurement(self, school, code, first, last, value):
        indicator = self.indicators[code]
        if indicator.min_value is not None:
            value = max(indicator.min_value, value)
        if indicator.max_value is not None:
            value = min(indicator.max_value, value)
        return Measurement(
            school=school,
            indicator=indicator,
            period_start=first,
            period_end=last,
            value=round(value, 1),
            source="import",
            verification="verified",
        )

    def targets(self, plan, contract, schools, start):
        for code, goal in TARGET_GOALS.items():
            if code in HIGH_SCHOOL_ONLY and not any(s.level in ("high", "6_12") for s in schools):
                continue
            baseline = self._level(plan, code, 0)
            if baseline is None:
                continue
            final = goal(baseline)
            for year in range(1, plan.term + 1):
                target = baseline + (final - baseline) * year / plan.term
                Target.objects.update_or_create(
                    contract=contract,
                    indicator=self.indicators[code],
                    contract_year=year,
                    school=None,
                    defaults={"baseline": round(baseline, 1), "target": round(target, 1)},
                )
        # per-school attendance targets, weighted so the schools' targets match the cluster's
        for position, school in enumerate(schools):
            base = self._school_level(plan, "attendance_rate", 0, position, school, schools)
            for year in range(1, plan.term + 1):
                Target.objects.update_or_create(
                    contract=contract,
                    indicator=self.indicators["attendance_rate"],
                    contract_year=year,
                    school=school,
                    defaults={
                        "baseline": round(base, 1),
                        "target": round(min(97.0, base + 8 * year / plan.term), 1),
                    },
                )

    # the stories around the contracts -----------------------------------------------------------
    def rfp_for_prelaunch(self, contract):
        rfp, _ = Rfp.objects.update_or_create(
            district=contract.district,
            title="Lead Partner for the Commerce feeder cluster",
            defaults={
                "authority": "state",
                "status": "awarded",
                "description": "The state seeks a Lead Partner to turn around Commerce High School and "
                "its feeder middle schools in the Springfield Empowerment Zone.",
                "selection_criteria": "Track record with high-poverty schools; turnaround experience; "
                "capacity to be in each school five days a week.",
                "issued_on": contract.start_date - timedelta(days=540),
                "proposals_due_on": contract.start_date - timedelta(days=450),
            },
        )
        rfp.schools.set(contract.schools.all())
        proposals = [
            ("Commonwealth Turnaround Collaborative (demo)", 88, "selected"),
            ("Pioneer Valley University School Partnership (demo)", 74, "not_selected"),
            ("Extended Day Alliance (demo)", 61, "not_selected"),
        ]
        for name, score, status in proposals:
            proposal, _ = Proposal.objects.update_or_create(
                rfp=rfp,
                organization=self.orgs[name],
                defaults={
                    "submitted_on": contract.start_date - timedelta(days=455),
                    "score": score,
                    "status": status,
                    "summary": f"{name}'s plan for the cluster.",
                },
            )
            if status == "selected" and contract.proposal_id != proposal.pk:
                contract.proposal = proposal
                contract.save(update_fields=["proposal"])

    def terminated_story(self, contract):
        review, _ = ContractReview.objects.update_or_create(
            contract=contract,
            contract_year=1,
            defaults={
                "review_date": contract.start_date + timedelta(days=380),
                "reviewer": self.users["district"],
                "findings": "Attendance fell and discipline incidents rose; no field staff on site most "
                "days.",
                "recommendation": "probation",
            },
        )
        change = contract.status_changes.filter(to_status="terminated").first()
        ContractDecision.objects.update_or_create(
            contract=contract,
            kind="termination",
            defaults={
                "review": review,
                "decided_on": change.effective_on if change else contract.start_date,
                "decided_by": self.users["district"],
                "status_change": change,
                "rationale": "Outcomes did not improve during probation: attendance, discipline and "
                "proficiency all off track.",
                "evidence": [
                    {"indicator": "attendance_rate", "status": "off_track"},
                    {"indicator": "discipline_incidents", "status": "off_track"},
                    {"indicator": "ela_proficiency", "status": "off_track"},
                ],
            },
        )

    def subcontracts(self, contracts):
        for contract, partner, services_text, amount in (
            (contracts[0], "Englewood Tutoring Corps (demo)", "High-dosage tutoring in grades 3-8", 240_000),
            (
                contracts[2],
                "Pioneer Valley University School Partnership (demo)",
                "Data coaching for teachers",
                90_000,
            ),
        ):
            Subcontract.objects.update_or_create(
                contract=contract,
                supporting_partner=self.orgs[partner],
                services=services_text,
                defaults={"start_date": contract.start_date, "end_date": contract.end_date, "amount": amount},
            )

    def field_visits(self, contract):
        """Six weeks of visits to the Englewood schools; the `field` user is Sherman's field staff."""
        organization = contract.lead_partner
        staff = {}
        for school in contract.schools.order_by("state_id"):
            if school.name.startswith("Sherman"):
                staff[school] = self.users["field"]
            else:
                slug = school.name.split()[0].lower()
                user = get_user_model().objects.update_or_create(
                    username=f"ausl-field-{slug}",
                    defaults={"first_name": school.name.split()[0], "last_name": "Field staff"},
                )[0]
                user.set_unusable_password()
                user.save(update_fields=["password"])
                UserProfile.objects.update_or_create(
                    user=user,
                    defaults={
                        "role": Role.PARTNER_FIELD,
                        "organization": organization,
                        "title": f"Field staff, {school.name}",
                    },
                )
                staff[school] = user
        focus_cycle = [
            ["instructional_support", "principal_check_in"],
            ["operational_support"],
            ["formative_assessment"],
            ["coordinate_supporting_partners", "instructional_support"],
            ["coordinate_district"],
        ]
        day = self.today - timedelta(days=42)
        while day <= self.today:
            if day.weekday() < 5:
                for school, user in staff.items():
                    rng = random.Random(f"{school.state_id}:{day}")
                    roll = rng.random()
                    if roll < 0.08:
                        continue  # no visit that day
                    visit, _ = FieldVisit.objects.update_or_create(
                        school=school,
                        staff=user,
                        visit_date=day,
                        defaults={
                            "organization": organization,
                            "mode": "remote" if roll < 0.15 else "on_site",
                            "duration_minutes": 90 if roll < 0.15 else 420,
                            "focus": focus_cycle[day.toordinal() % len(focus_cycle)],
                            "progress": "Walkthroughs in grades 3-5; planning with the principal.",
                            "barriers": "Substitute coverage short this week." if roll > 0.9 else "",
                        },
                    )
                    if day.weekday() == 4:
                        FollowUp.objects.update_or_create(
                            visit=visit,
                            description="Share the formative assessment results with grade teams",
                            defaults={
                                "owner": "Principal",
                                "due_on": day + timedelta(days=7),
                                "done_on": day + timedelta(days=5)
                                if day + timedelta(days=5) <= self.today
                                else None,
                            },
                        )
            day += timedelta(days=1)


USERS_TABLE = [
    (
        "district",
        "District turnaround office staff, Chicago Public Schools",
        "Chicago's contracts (AUSL), schools, measurements, field visits",
    ),
    (
        "state",
        "State education agency staff, Massachusetts",
        "Massachusetts' contracts and schools, its priority partner designations",
    ),
    ("partner", "Lead Partner program staff, AUSL", "AUSL's contracts, schools, measurements, visits"),
    ("field", "Lead Partner field staff, AUSL", "AUSL's contracts on the ground and their schools"),
    ("admin", "Superuser", "everything, and the Django admin at /admin/"),
]
