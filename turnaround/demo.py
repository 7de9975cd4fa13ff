"""The demo portal: the real cases of the source documents, with data shaped by their results.

AUSL in Chicago (two contracts), Mastery in Philadelphia, Green Dot's Locke cluster in Los Angeles,
Friendship in Baltimore, a terminated contract of a fictional partner in Baltimore, and a pre-launch
contract in Massachusetts with the state as contracting authority, its RFP and the state's vetted
priority partners. School names beyond those the documents give, state ids ("XX-DEMO-...") and
enrolments are invented; so are the organizations whose name ends in "(demo)".

Dates are anchored to the current school year (it starts on 1 July), so the phases are the same
whenever the demo is built, and building it twice on one day gives the same data. Everything is
looked up by its natural key and updated in place, and only when a value differs: building twice
leaves the same rows with the same ids, and no new history rows.

The indicator values follow a per-contract trajectory of cluster-wide levels (year 0 is the year
before the start: the baseline). Each school gets a fixed offset and some yearly noise, then the
schools are shifted together so that their enrolment-weighted mean (or, for counts, their sum) is
exactly the cluster's level: the cluster-wide values the portal computes are the trajectory's, the
schools scatter around it. A few schools follow their own trajectory (the documents' numbers for
Harvard, Sherman and Pickett). Monthly values scatter around the yearly level and average (or sum)
to it exactly. Where the documents give a figure the catalog cannot hold (Locke's number of
graduates, a count; Sherman's college enrolment, at a K-8 school), the contract's notes quote it
and the data do not pretend to; the levels the documents do not give are illustrative.

Each rule of the indicator engine is at work somewhere: targets overridden by the district (AUSL's
discipline incidents monitored in year 1, field presence at Sherman accountable every year), an
improvement margin (Friendship's math, on track by improvement), a cluster-wide row incomplete
with a school to chase (Locke's formative assessments, from the first monthly results of the year),
and year-3+ headlines that rest on last year's final results until this year's come in (Mastery,
Friendship, and Englewood's lagging indicators).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from contracts import services
from contracts.models import (
    AutonomyItem,
    ContractDecision,
    ContractReview,
    PerformanceContract,
    Proposal,
    Rfp,
    Subcontract,
    Target,
    add_years,
)
from indicators import engine, rules
from indicators.models import MEASUREMENT_KEY, Indicator, Measurement
from partners import presence
from partners.models import (
    FieldVisit,
    FollowUp,
    Organization,
    PriorityPartnerDesignation,
    SelfAudit,
    SelfAuditAnswer,
    SelfAuditItem,
    ServiceArea,
    VisitFocus,
)
from schools.models import Cluster, ClusterMembership, District, NonSchoolDay, PartnershipZone, School, State
from turnaround.models import Role, UserProfile

PASSWORD = "demo-password"

MONTHLY = [
    "attendance_rate",
    "days_absent_per_student",
    "discipline_incidents",
    "violent_incidents",
    "formative_assessment_proficiency",
]
SCHOOL_YEAR = [  # one value per school year, period 1 July - 30 June
    "chronic_absence_rate",
    "teacher_retention_rate",
    "student_turnover_rate",
    "graduation_rate",
    "college_enrolment_rate",
]
TESTS = ["ela_proficiency", "math_proficiency", "state_index_score"]  # period: the spring test window
ENROLMENT = "enrolment"  # period: the official count day, 1 October
HIGH_SCHOOL_ONLY = {"graduation_rate", "college_enrolment_rate"}
HIGH_LEVELS = ("high", "6_12")
SCHOOL_MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6]
# Spring test windows (month, first day, last day) of the state tests.
TEST_WINDOWS = {"IL": (3, 2, 13), "PA": (4, 13, 24), "CA": (5, 4, 15), "MD": (3, 16, 27), "MA": (5, 11, 22)}
# Measurements that ended less than this long ago are still "reported": the district has not
# verified them yet.
VERIFICATION_LAG = timedelta(days=45)

# How far schools spread around the cluster's level, per indicator (same unit as the indicator).
SPREAD = {
    "attendance_rate": 1.8,
    "days_absent_per_student": 1.6,
    "chronic_absence_rate": 4.0,
    "formative_assessment_proficiency": 4.0,
    "teacher_retention_rate": 3.0,
    "student_turnover_rate": 2.5,
    "ela_proficiency": 4.0,
    "math_proficiency": 4.0,
    "graduation_rate": 4.0,
    "college_enrolment_rate": 4.0,
    "state_index_score": 14.0,
    "staff_replaced_rate": 6.0,
}
# Additive month pattern (September..June) of the monthly means: attendance dips around the winter
# break and at the end of the year; formative results grow through the year.
MONTH_PATTERN = {
    "attendance_rate": [1.0, 0.6, 0.0, -1.0, -0.6, -0.2, 0.2, 0.3, -0.1, -0.9],
    "formative_assessment_proficiency": [-3.0, -2.4, -1.8, -1.0, -0.3, 0.3, 1.0, 1.8, 2.4, 3.0],
}
# Month shares (September..June) of the yearly sums.
MONTH_SHARE = [0.07, 0.11, 0.10, 0.08, 0.11, 0.11, 0.12, 0.10, 0.11, 0.09]

# Cluster-wide targets: the goal at the end of the term, from the baseline.
TARGET_GOALS = {
    "attendance_rate": lambda b: min(96.0, b + 7),
    "chronic_absence_rate": lambda b: b * 0.55,
    "discipline_incidents": lambda b: b * 0.6,
    "violent_incidents": lambda b: b * 0.45,
    "enrolment": lambda b: b * 1.06,
    "teacher_retention_rate": lambda b: min(92.0, max(b + 10, 85.0)),
    "formative_assessment_proficiency": lambda b: b + 20,
    "ela_proficiency": lambda b: b + 18,
    "math_proficiency": lambda b: b + 18,
    "state_index_score": lambda b: b + 60 if b > 200 else b + 20,  # API scale, or a 0-100 index
    "graduation_rate": lambda b: min(95.0, b + 18),
    "college_enrolment_rate": lambda b: min(95.0, b + 15),
}


def school_year_start(today):
    """1 July of the school year `today` is in."""
    return date(today.year if today.month >= 7 else today.year - 1, 7, 1)


def month_bounds(year, month):
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, following - timedelta(days=1)


def on(day, hour=9):
    """An aware datetime on a day, in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _assign(obj, values):
    """Set the values that differ; return the names of the fields to save."""
    changed = []
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            current, new = getattr(obj, model_field.attname), (value.pk if value is not None else None)
        else:
            current, new = getattr(obj, name), value
        if current != new:
            setattr(obj, name, value)
            changed.append(name)
    if changed:
        changed += [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    return changed


def upsert(model, lookup, values=None):
    """The row with this natural key, created or updated; saved only when a value differs (so that
    no history row and no recompute comes from a build that changes nothing)."""
    values = values or {}
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        return obj
    changed = _assign(obj, values)
    if changed:
        obj.save(update_fields=changed)
    return obj


@dataclass
class SchoolSpec:
    state_id: str
    name: str
    level: str
    grades: tuple
    enrolment: int  # nominal size: the weight the cluster's counts are shared out by
    feeds_into: str = ""  # state id of the school it feeds into


@dataclass
class Plan:
    """One demo contract: its schools, lifecycle, terms, and how its indicators move.

    `levels`: per indicator, the cluster's level in the year before the start (index 0, the
    baseline) and in each contract year after it; the last one holds for later years. Rates are
    enrolment-weighted means, counts are cluster totals, sums (days absent) per student per year.
    `school_levels`: (state id, indicator) -> a school's own trajectory."""

    reference: str
    name: str
    state: str
    district: str
    partner: str
    cluster: str
    schools: list
    start_offset: int  # the start, in years from the current school year's start
    term: int
    lifecycle: list  # (status, (years, days) from the start, reason), after the draft
    drafted: tuple  # (years, days) from the start
    levels: dict
    autonomies: dict
    funding: tuple  # per-pupil allocation, share of central office budget (%), improvement grant
    notes: str
    school_levels: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)  # responsibility item -> owner, beyond the template
    authority: str = "district"
    zone: str = ""
    reviews: dict = field(
        default_factory=dict
    )  # contract year -> (days after the year's end, recommendation)
    school_targets: list = field(default_factory=list)  # (state id, indicator, [target per year])
    improvement_margin: float = 0.0  # the contract's improvement margin; 0 is off
    # Targets whose accountability the district set by hand: (indicator, school state id or None for
    # the cluster-wide target, contract years or None for every year, "accountable" or "monitored").
    accountability: list = field(default_factory=list)
    # Measured once per school at launch (period: the contract's first day, so contract year 1):
    # indicator -> (cluster-wide level, year-1 target).
    at_launch: dict = field(default_factory=dict)
    # (school state id, indicator): not reported by that school in the current school year, so
    # the cluster-wide row reads `incomplete`, with a school to chase.
    unreported: list = field(default_factory=list)


STATES = [
    ("IL", "Illinois"),
    ("PA", "Pennsylvania"),
    ("CA", "California"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
]
STATES_WITH_INDEX = {"CA", "PA", "MA"}  # California's API, Pennsylvania's and Massachusetts' indexes
DISTRICTS = [
    ("IL", "Chicago Public Schools", "1709930"),
    ("PA", "The School District of Philadelphia", "4218990"),
    ("CA", "Los Angeles Unified School District", "0622710"),
    ("MD", "Baltimore City Public Schools", "2400090"),
    ("MA", "Springfield Public Schools", None),
]
AUSL = "Academy for Urban School Leadership"
MASTERY = "Mastery Charter Schools"
GREEN_DOT = "Green Dot Public Schools"
FRIENDSHIP = "Friendship Public Charter School"
HARBORVIEW = "Harborview Learning Partners (demo)"
CTC = "Commonwealth Turnaround Collaborative (demo)"
ORGANIZATIONS = [
    # name, short name, kind, home state, founded, unionized staff, description
    (
        AUSL,
        "AUSL",
        "school_management",
        "IL",
        2001,
        True,
        "Non-profit specialising in teacher preparation and school management. Since 2005 has worked "
        "with Chicago Public Schools on turnarounds (Sherman in 2006, Harvard in 2007, six more in "
        "2008-9). Hires a new principal and replaces up to 50% of staff, many from its training "
        "program; staff stay unionized.",
    ),
    (
        MASTERY,
        "Mastery",
        "school_management",
        "PA",
        2001,
        False,
        "Charter management organization; from 2005 turned three chronically low-performing "
        "Philadelphia district schools into college-prep middle-high charter schools. Full control "
        "of all conditions; staff are not unionized.",
    ),
    (
        GREEN_DOT,
        "Green Dot",
        "school_management",
        "CA",
        1999,
        True,
        "Charter network; from fall 2008 turned Locke High School around with LAUSD by phasing in "
        "nine smaller schools, the first outside organization to run a traditional public school in "
        "the district. Its teachers have their own union.",
    ),
    (
        FRIENDSHIP,
        "Friendship",
        "school_management",
        None,
        1997,
        None,
        "Friendship Schools: Lead Partner of four partnership schools in Baltimore City, under a "
        "performance contract where funding follows enrolment.",
    ),
    (
        HARBORVIEW,
        "Harborview",
        "other_nonprofit",
        "MD",
        2009,
        None,
        "A fictional organization, for the demo's terminated contract.",
    ),
    (
        CTC,
        "CTC",
        "other_nonprofit",
        "MA",
        2008,
        None,
        "A fictional Massachusetts priority partner for whole-school turnaround, Lead Partner of the "
        "demo's pre-launch contract.",
    ),
    (
        "Bay State Teaching Fellows (demo)",
        "BSTF",
        "supporting_partner",
        "MA",
        2004,
        None,
        "A fictional supporting partner for human capital: recruits and trains teachers for "
        "turnaround schools.",
    ),
    (
        "Pioneer Valley University School Partnership (demo)",
        "PVU",
        "university",
        "MA",
        1995,
        None,
        "A fictional university partner: data use and school leadership coaching.",
    ),
    (
        "Extended Day Alliance (demo)",
        "EDA",
        "other_nonprofit",
        "MA",
        2006,
        None,
        "A fictional non-profit: expanded learning time and student support.",
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
    (
        "Chicago Family Support Network (demo)",
        "CFSN",
        "supporting_partner",
        "IL",
        2003,
        None,
        "A fictional supporting partner: social workers and family support in schools.",
    ),
    (
        "Schuylkill Literacy Collaborative (demo)",
        "SLC",
        "supporting_partner",
        "PA",
        2007,
        None,
        "A fictional supporting partner: reading intervention for grades 7-9.",
    ),
]
DESIGNATIONS = [
    (
        CTC,
        ["whole_school_turnaround", "climate_culture", "leadership"],
        "Three years of double-digit proficiency gains in two Massachusetts turnaround schools; "
        "independent evaluation; references from the districts served.",
    ),
    (
        "Bay State Teaching Fellows (demo)",
        ["human_capital"],
        "Placed and retained teachers in hard-to-staff schools in four districts; 84% of fellows "
        "still teaching after three years.",
    ),
    (
        "Pioneer Valley University School Partnership (demo)",
        ["data_assessment", "leadership"],
        "Data-team coaching in eleven schools; measurable gains on interim assessments in eight.",
    ),
    (
        "Extended Day Alliance (demo)",
        ["learning_time", "social_emotional_health"],
        "Expanded learning time in six middle schools, with attendance and climate gains measured "
        "against comparison schools.",
    ),
]
AUDITS = [
    # organization, items answered "partly", items answered "no", summary
    (
        CTC,
        {"high_schools", "multiple_schools"},
        {"capital"},
        "Submitted with the proposal for the Springfield cluster: strong on school design and "
        "culture, new to high schools at this scale.",
    ),
    (
        "Pioneer Valley University School Partnership (demo)",
        {"turnaround_environment", "ramp_up", "operations", "culture"},
        {"new_location", "capital"},
        "Submitted with the runner-up proposal: strong on data and leadership coaching, would "
        "subcontract school operations.",
    ),
]

BALTIMORE_COMMON = {
    "days_absent_per_student": [22.0, 17.5, 15.5, 14.2, 13.4, 12.8],
    "chronic_absence_rate": [40, 34, 30, 27, 25, 23],
    "discipline_incidents": [1100, 1180, 950, 820, 740, 690],
    "violent_incidents": [120, 100, 80, 66, 58, 52],
    "teacher_retention_rate": [60, 78, 82, 84, 86, 86],
    "student_turnover_rate": [26, 23, 21, 19, 18, 17],
    "formative_assessment_proficiency": [25, 31, 37, 42, 46, 49],
}

AUSL_AUTONOMIES = {
    "choose_principal": ("granted", "AUSL hires a new principal for each school."),
    "reassign_staff": ("granted", "AUSL replaces up to 50% of staff, many from its teacher residency."),
    "modified_cba": (
        "partial",
        "Staff stay unionized under the district's bargaining agreement; a few work-rule waivers.",
    ),
    "manage_professional_development": ("granted", ""),
    "additional_compensation": ("partial", "Stipends for residency mentor teachers only."),
    "extended_time": ("partial", "Extended day at some schools; the calendar is the district's."),
    "control_schedule": ("granted", ""),
    "planning_time": ("granted", "Daily common planning time."),
    "launch_planning_time": ("granted", "A pre-launch year."),
    "time_before_accountability": ("granted", "Lagging indicators count from contract year 3."),
    "control_funding": (
        "partial",
        "Per-pupil funding at school level; some services shared with the district for economies of scale.",
    ),
    "streamlined_procurement": (
        "partial",
        "District procurement, with a fast lane for the turnaround schools.",
    ),
    "control_school_design": ("granted", ""),
    "select_supporting_partners": ("granted", ""),
    "choose_central_services": (
        "partial",
        "Transportation, food services and facilities stay with the district.",
    ),
}
ALL_GRANTED = {code: ("granted", "") for code in AUSL_AUTONOMIES}

PLANS = [
    Plan(
        reference="CPS-LP-ENGLEWOOD",
        name="AUSL Englewood cluster",
        state="IL",
        district="Chicago Public Schools",
        partner=AUSL,
        cluster="Englewood cluster",
        schools=[
            SchoolSpec("IL-DEMO-0101", "Sherman School of Excellence", "k8", (0, 8), 560, "IL-DEMO-0105"),
            SchoolSpec("IL-DEMO-0102", "Harvard School of Excellence", "k8", (0, 8), 470, "IL-DEMO-0105"),
            SchoolSpec("IL-DEMO-0103", "Dulles School of Excellence", "k8", (0, 8), 510, "IL-DEMO-0105"),
            SchoolSpec("IL-DEMO-0104", "Morton School of Excellence", "k8", (0, 8), 430, "IL-DEMO-0105"),
            SchoolSpec("IL-DEMO-0105", "Englewood Academy High School", "high", (9, 12), 860),
        ],
        start_offset=-2,
        term=5,
        drafted=(-1, -120),
        lifecycle=[
            ("pre_launch", (-1, -60), "MOU signed with the Board of Education; pre-launch begins."),
            ("active", (0, 0), "Contract year 1 begins."),
        ],
        levels={
            "attendance_rate": [88.0, 91.5, 92.6, 93.4],
            "days_absent_per_student": [18.6, 14.6, 13.8, 13.1],
            "chronic_absence_rate": [36, 29, 25, 22],
            "discipline_incidents": [820, 900, 690, 560],  # a bump in year 1, as the seed warns (monitored)
            "violent_incidents": [96, 88, 64, 50],
            "enrolment": [2700, 2760, 2800, 2830],
            # The seed: "AUSL's teacher retention is over 87%" (AUSL-wide; the baseline is illustrative).
            "teacher_retention_rate": [58, 87.2, 87.8, 88.4],
            "student_turnover_rate": [26, 22, 19, 17],
            "formative_assessment_proficiency": [30, 37, 44, 49],
            "ela_proficiency": [33, 36.5, 40, 43],
            "math_proficiency": [31, 34, 37.5, 40.5],
            # Englewood Academy High School's (the cluster's only high school): illustrative. The
            # seed's "98% of the 2008 graduates enrolled in college" is Sherman's, not this school's
            # (quoted in the notes).
            "graduation_rate": [55, 59, 64, 68],
            "college_enrolment_rate": [44, 47, 50, 52],
        },
        school_levels={
            # Harvard: absences down 5 days per student in year 1; at/above standard +25% in two years.
            ("IL-DEMO-0102", "days_absent_per_student"): [19.5, 14.5, 13.9, 13.2],
            ("IL-DEMO-0102", "ela_proficiency"): [32.0, 36.0, 40.0, 42.5],
            ("IL-DEMO-0102", "math_proficiency"): [30.0, 33.5, 37.5, 40.0],
            # Sherman: state test scores +23% over three years.
            ("IL-DEMO-0101", "ela_proficiency"): [40.0, 43.5, 46.5, 49.2],
            ("IL-DEMO-0101", "math_proficiency"): [38.0, 41.0, 44.0, 46.7],
        },
        school_targets=[
            ("IL-DEMO-0102", "days_absent_per_student", [14.5, 14.0, 13.5, 13.0, 12.5]),
            ("IL-DEMO-0102", "ela_proficiency", [36.0, 40.0, 42.0, 44.0, 46.0]),
            ("IL-DEMO-0101", "ela_proficiency", [43.0, 46.0, 49.2, 51.0, 53.0]),
        ],
        autonomies=AUSL_AUTONOMIES,
        owners={
            "curricula": "shared",
            "select_data": "shared",
            "design_facility": "district",
            "co_curriculars": "lead_partner",
        },
        funding=(Decimal("5400.00"), Decimal("75.00"), Decimal("3000000.00")),
        reviews={1: (25, "continue"), 2: (25, "continue")},
        accountability=[
            # The seed's year 1: "Build strong connections to legal and judiciary offices (to handle
            # potential bump in disciplinary incidents)". The district expected the bump.
            ("discipline_incidents", None, [1], "monitored"),
            # The Lead Partner's "consistent and productive presence in turnaround schools (at least
            # 5 days a week)": a contract obligation at Sherman, where the field staff is embedded,
            # in every year (Harvard's presence stays monitored, the default after year 2).
            ("field_presence_rate", "IL-DEMO-0101", None, "accountable"),
        ],
        notes="Close to the Lead Partner model: AUSL hires a new principal and replaces up to 50% of "
        "staff; staff are unionized and some services are shared with the district. Demo data shaped "
        "by the published results: at Harvard, absences down 5 days per student in the first year and "
        "students at or above standard up 25% in two years; at Sherman, state test scores up 23% over "
        "three years; AUSL's teacher retention over 87%. The seed also reports that 98% of Sherman's "
        "2008 graduates enrolled in college: quoted here, not modelled, as Sherman is a K-8 school and "
        "the demo measures college enrolment at the high school. Discipline incidents were monitored, "
        "not accountable, in year 1 (the bump the seed warns of); field presence at Sherman is "
        "accountable every year.",
    ),
    Plan(
        reference="CPS-LP-FARSOUTH",
        name="AUSL Far South cluster",
        state="IL",
        district="Chicago Public Schools",
        partner=AUSL,
        cluster="Far South cluster",
        schools=[
            SchoolSpec("IL-DEMO-0201", "Curtis School of Excellence", "k8", (0, 8), 470),
            SchoolSpec("IL-DEMO-0202", "Fuller School of Excellence", "k8", (0, 8), 380),
            SchoolSpec("IL-DEMO-0203", "Deneen School of Excellence", "k8", (0, 8), 420),
        ],
        start_offset=0,
        term=3,
        drafted=(-1, 0),
        lifecycle=[
            ("pre_launch", (0, -300), "MOU signed; school design and hiring under way."),
            ("active", (0, 0), "Contract year 1 begins."),
        ],
        levels={
            "attendance_rate": [86.4, 90.2],
            "days_absent_per_student": [17.2, 13.6],
            "chronic_absence_rate": [34, 27],
            "discipline_incidents": [560, 610],
            "violent_incidents": [60, 52],
            "enrolment": [1250, 1290],
            "teacher_retention_rate": [61, 87.5],  # AUSL: over 87% (the baseline is illustrative)
            "student_turnover_rate": [25, 21],
            "formative_assessment_proficiency": [27, 33],
            "ela_proficiency": [26, 29],
            "math_proficiency": [24, 27],
        },
        autonomies={**AUSL_AUTONOMIES, "extended_time": ("not_granted", "Under negotiation for year 2.")},
        owners={"curricula": "shared", "select_data": "shared", "design_facility": "district"},
        # co_curriculars stays undecided: the portal flags it.
        funding=(Decimal("5600.00"), Decimal("75.00"), Decimal("2250000.00")),
        # A bump in year 1, as the seed warns: monitored, not accountable, that year.
        accountability=[("discipline_incidents", None, [1], "monitored")],
        notes="AUSL's second cluster, in its first contract year; who runs co-curriculars is still open. "
        "Discipline incidents are monitored, not accountable, in year 1: the seed expects a bump.",
    ),
    Plan(
        reference="SDP-LP-MASTERY",
        name="Mastery turnaround campuses",
        state="PA",
        district="The School District of Philadelphia",
        partner=MASTERY,
        cluster="Mastery turnaround campuses",
        schools=[
            SchoolSpec("PA-DEMO-0301", "Mastery Charter School - Pickett Campus", "6_12", (7, 12), 720),
            SchoolSpec("PA-DEMO-0302", "Mastery Charter School - Shoemaker Campus", "6_12", (7, 12), 690),
            SchoolSpec("PA-DEMO-0303", "Mastery Charter School - Thomas Campus", "6_12", (7, 12), 740),
        ],
        start_offset=-3,
        term=5,
        drafted=(-1, -60),
        lifecycle=[
            ("pre_launch", (-1, 0), "Charter conversion agreed with the district; pre-launch begins."),
            ("active", (0, 0), "Contract year 1 begins."),
            ("renewed", (3, 0), "Renewed after the year 3 review: lagging indicators met or on track."),
        ],
        levels={
            "attendance_rate": [84.5, 90.8, 92.0, 92.8, 93.2],
            "days_absent_per_student": [20.0, 14.2, 12.8, 12.0, 11.5],
            "chronic_absence_rate": [39, 27, 24, 22, 21],
            "discipline_incidents": [1300, 1150, 900, 760, 700],
            "violent_incidents": [150, 30, 27, 24, 22],  # violence down 80%
            "enrolment": [2050, 2110, 2150, 2180, 2200],
            "teacher_retention_rate": [70, 82, 84, 86, 87],
            "student_turnover_rate": [27, 18, 17.5, 16.5, 16],  # down by a third
            "formative_assessment_proficiency": [26, 35, 43, 50, 54],
            "ela_proficiency": [24, 33, 40, 46, 50],
            "math_proficiency": [25, 30, 37, 43, 48],
            "graduation_rate": [58, 68, 76, 82, 85],
            "college_enrolment_rate": [64, 86, 95, 100, 100],  # 100% of graduates enrolled
            "state_index_score": [41, 52, 60, 66, 70],
        },
        school_levels={
            # Pickett: 7th-8th grade reading +45% and math +21% in year one.
            ("PA-DEMO-0301", "ela_proficiency"): [22.0, 31.9, 39.0, 45.0, 49.0],
            ("PA-DEMO-0301", "math_proficiency"): [27.0, 32.7, 38.0, 44.0, 48.5],
        },
        school_targets=[
            ("PA-DEMO-0301", "ela_proficiency", [30.0, 36.0, 42.0, 46.0, 50.0]),
            ("PA-DEMO-0301", "math_proficiency", [32.0, 37.0, 42.0, 46.0, 50.0]),
        ],
        autonomies={
            **ALL_GRANTED,
            "modified_cba": (
                "granted",
                "Staff are not unionized: all staff who applied to stay signed new contracts.",
            ),
            "choose_central_services": ("granted", "The charter buys only the district services it wants."),
        },
        owners={
            "curricula": "lead_partner",
            "select_data": "lead_partner",
            "design_facility": "shared",
            "co_curriculars": "lead_partner",
            "security": "lead_partner",
            "it_support": "lead_partner",
            "data_systems": "lead_partner",
            "talent_pool": "lead_partner",
        },
        funding=(Decimal("9100.00"), Decimal("100.00"), Decimal("2400000.00")),
        reviews={1: (25, "continue"), 2: (25, "continue"), 3: (-45, "renew")},
        notes="The charter gives Mastery full control over all conditions; staff are not unionized. "
        "Demo data shaped by the published results (Pickett's year one, violence down 80%, student "
        "turnover down a third, every graduate enrolled in college).",
    ),
    Plan(
        reference="LAUSD-LP-LOCKE",
        name="Green Dot Locke cluster",
        state="CA",
        district="Los Angeles Unified School District",
        partner=GREEN_DOT,
        cluster="Locke cluster",
        # The seed: Locke High School was turned around "by phasing in nine smaller schools". The
        # demo models four of them (the cluster size the portal expects is 3-5), and they carry the
        # whole cluster's published figures.
        schools=[
            SchoolSpec("CA-DEMO-0401", "Animo Locke Technology High School", "high", (9, 12), 640),
            SchoolSpec("CA-DEMO-0402", "Animo Locke #1 College Prep Academy", "high", (9, 12), 820),
            SchoolSpec("CA-DEMO-0403", "Animo Locke #2 College Prep Academy", "high", (9, 12), 760),
            SchoolSpec("CA-DEMO-0404", "Animo Locke #3 College Prep Academy", "high", (9, 12), 780),
        ],
        start_offset=-1,
        term=5,
        drafted=(-1, -90),
        lifecycle=[
            ("pre_launch", (-1, -30), "Partnership agreement with LAUSD signed; pre-launch begins."),
            ("active", (0, 0), "Contract year 1 begins."),
        ],
        levels={
            "attendance_rate": [77.8, 89.3, 90.4],  # the seed: 77.8% -> 89.3% in year one
            "days_absent_per_student": [38.0, 18.5, 17.2],
            "chronic_absence_rate": [45, 24, 21],
            "discipline_incidents": [1900, 1650, 1200],
            "violent_incidents": [260, 140, 110],
            "enrolment": [2470, 3002, 3050],  # 532 more students in year one
            # Illustrative: the seed gives no retention rate for Locke. Its "only 40 of the school's
            # 120 teachers remained" is staff replaced at launch (`at_launch` below), not a rate of
            # teachers retained through year 1.
            "teacher_retention_rate": [62, 78, 82],
            "student_turnover_rate": [30, 22, 20],
            "formative_assessment_proficiency": [22, 31, 36],
            "ela_proficiency": [17, 21, 24],
            "math_proficiency": [8, 11, 14],
            "state_index_score": [472, 496, 508],  # API +24 points in year one (the levels: illustrative)
            # Illustrative rates. The seed's "the number of graduates also increased by 43%" is a
            # count, and the indicator catalog has no count of graduates (only the four-year cohort
            # graduation rate, which the count does not give): it is quoted in the notes.
            "graduation_rate": [35, 41, 44],
            "college_enrolment_rate": [28, 34, 38],
        },
        # "Only 40 of the school's 120 teachers remained": 80 of 120 replaced at launch, 66.7%,
        # as the share of staff newly hired (assuming as many teaching posts at the start; the seed
        # gives no other count). Year-1 target: the seed's "reassign at least 50% of staff".
        at_launch={"staff_replaced_rate": (66.7, 50.0)},
        # One academy has not uploaded this year's interim assessment results (the cluster-wide row
        # reads "3 of 4 schools reporting" once the others have reported, from October).
        unreported=[("CA-DEMO-0404", "formative_assessment_proficiency")],
        autonomies={
            **ALL_GRANTED,
            "choose_principal": ("granted", "Principals can be hired and fired at will."),
            "reassign_staff": (
                "granted",
                "Principals control staffing: only 40 of the school's 120 teachers remained (80 replaced "
                "at launch).",
            ),
            "modified_cba": ("granted", "Green Dot teachers have their own union and contract."),
            "extended_time": ("partial", "Extended day; the district calendar."),
            "control_funding": ("partial", "Funding passes through LAUSD's per-pupil formula."),
            "streamlined_procurement": ("partial", ""),
            "choose_central_services": ("partial", "Food services and facilities stay with LAUSD."),
        },
        owners={
            "curricula": "lead_partner",
            "select_data": "shared",
            "design_facility": "shared",
            "co_curriculars": "lead_partner",
            "security": "shared",
        },
        funding=(Decimal("8200.00"), Decimal("85.00"), Decimal("5800000.00")),
        reviews={1: (25, "continue")},
        notes="Locke High School, turned around by phasing in nine smaller schools; the demo models four "
        "of them. Demo data shaped by the published results of the Locke cluster's first year: "
        "attendance from 77.8% to 89.3%, API +24 points, 532 more students. Only 40 of the school's "
        "120 teachers remained: 80 of 120 staff replaced at launch (66.7%). The number of graduates "
        "also rose by 43%: a count, which the demo quotes rather than measures (its graduation rates "
        "are illustrative).",
    ),
    Plan(
        reference="BCPS-LP-FRIENDSHIP",
        name="Friendship partnership schools",
        state="MD",
        district="Baltimore City Public Schools",
        partner=FRIENDSHIP,
        cluster="Friendship partnership schools",
        schools=[
            SchoolSpec(
                "MD-DEMO-0501", "Friendship Academy of Engineering and Technology", "6_12", (6, 12), 520
            ),
            SchoolSpec("MD-DEMO-0502", "Friendship Academy of Science and Technology", "6_12", (6, 12), 540),
            SchoolSpec("MD-DEMO-0503", "Friendship Academy of Arts and Media", "middle", (6, 8), 380),
            SchoolSpec("MD-DEMO-0504", "Friendship Preparatory Academy", "elementary", (0, 5), 410),
        ],
        start_offset=-4,
        term=5,
        drafted=(-1, 0),
        lifecycle=[
            ("pre_launch", (0, -240), "Performance contract signed with the district."),
            ("active", (0, 0), "Contract year 1 begins."),
        ],
        levels={
            **BALTIMORE_COMMON,
            "attendance_rate": [82.5, 86.0, 88.0, 89.5, 90.5, 91.2],
            "enrolment": [1700, 1760, 1820, 1880, 1920, 1950],
            "ela_proficiency": [24, 28, 32, 36, 39.5, 42.5],
            # Steady gains behind an ambitious target: from year 3 each year misses (at risk: 72%,
            # 71%, 70% of the way) but closes over a quarter of the gap last year's value left, so
            # it reads on track by improvement (the margin below). Illustrative.
            "math_proficiency": [19, 22, 25, 26.8, 29.2, 31.6],
            "graduation_rate": [60, 64, 68, 72, 75, 77],
            "college_enrolment_rate": [38, 42, 46, 50, 53, 55],
        },
        autonomies={
            **ALL_GRANTED,
            "reassign_staff": ("granted", "Zero-based staffing: every position was re-filled at launch."),
            "modified_cba": ("partial", "The district's union contract, with partnership-school waivers."),
            "control_funding": (
                "granted",
                "Funding follows enrolment: the partner is paid per pupil it attracts and retains.",
            ),
            "streamlined_procurement": ("partial", ""),
            "choose_central_services": ("partial", ""),
        },
        owners={
            "curricula": "lead_partner",
            "select_data": "shared",
            "design_facility": "district",
            "co_curriculars": "shared",
        },
        funding=(Decimal("9600.00"), Decimal("90.00"), Decimal("1800000.00")),
        reviews={1: (25, "continue"), 2: (25, "continue"), 3: (25, "continue"), 4: (25, "continue")},
        # The seed (Baltimore): partners "will eventually lose their contract if student outcomes are
        # not improving". A miss that closed a quarter of last year's gap reads on track.
        improvement_margin=0.25,
        notes="Accountable for student outcomes; funding largely follows the students the partner "
        "attracts and retains, and a partner whose outcomes are not improving eventually loses its "
        "contract. Improvement margin 25%: a miss that closed at least a quarter of the gap last "
        "year's value left to the target is on track, by improvement. Demo data: steady gains year "
        "after year; in math, behind the target but on track by improvement.",
    ),
    Plan(
        reference="BCPS-LP-HARBORVIEW",
        name="Harborview cluster",
        state="MD",
        district="Baltimore City Public Schools",
        partner=HARBORVIEW,
        cluster="Harborview cluster",
        schools=[
            SchoolSpec(
                "MD-DEMO-0601", "Ridgeview Elementary School", "elementary", (0, 5), 330, "MD-DEMO-0602"
            ),
            SchoolSpec("MD-DEMO-0602", "Ridgeview Middle School", "middle", (6, 8), 420),
            SchoolSpec(
                "MD-DEMO-0603", "Gwynns Run Elementary School", "elementary", (0, 5), 300, "MD-DEMO-0602"
            ),
        ],
        start_offset=-2,
        term=5,
        drafted=(-1, 0),
        lifecycle=[
            ("pre_launch", (0, -180), "Performance contract signed; pre-launch begins."),
            ("active", (0, 0), "Contract year 1 begins."),
            (
                "probation",
                (1, 45),
                "Year 1 review: attendance, chronic absence and discipline off track, enrolment falling.",
            ),
            (
                "terminated",
                (2, -1),
                "Outcomes did not improve during probation; the schools return to the district at the "
                "end of the school year.",
            ),
        ],
        levels={
            "attendance_rate": [84.0, 82.6, 81.9],
            "days_absent_per_student": [18.0, 20.5, 21.5],
            "chronic_absence_rate": [33, 37, 39],
            "discipline_incidents": [420, 560, 610],
            "violent_incidents": [44, 58, 63],
            "enrolment": [1060, 990, 930],
            "teacher_retention_rate": [64, 55, 49],
            "student_turnover_rate": [24, 29, 31],
            "formative_assessment_proficiency": [29, 28, 27],
            "ela_proficiency": [27, 25, 24],
            "math_proficiency": [22, 21, 20.5],
        },
        autonomies={
            **AUSL_AUTONOMIES,
            "reassign_staff": ("partial", "Up to 25% of staff."),
            "modified_cba": ("not_granted", ""),
            "additional_compensation": ("not_granted", ""),
            "extended_time": ("not_granted", ""),
            "launch_planning_time": ("partial", "Six months of pre-launch."),
            "streamlined_procurement": ("not_granted", ""),
        },
        owners={
            "curricula": "lead_partner",
            "select_data": "district",
            "design_facility": "district",
            "co_curriculars": "district",
        },
        funding=(Decimal("9400.00"), Decimal("80.00"), Decimal("1200000.00")),
        reviews={1: (25, "probation"), 2: (-50, "terminate")},
        notes="DEMO: a fictional Lead Partner. The demo's example of a contract lost when student "
        "outcomes do not improve: probation after year 1, terminated at the end of year 2.",
    ),
    Plan(
        reference="MA-DESE-SPRINGFIELD",
        name="Springfield Empowerment Zone: Riverbend cluster",
        state="MA",
        district="Springfield Public Schools",
        partner=CTC,
        cluster="Riverbend cluster",
        zone="Springfield Empowerment Zone",
        authority="state",
        schools=[
            SchoolSpec(
                "MA-DEMO-0701", "Armory Hill Elementary School", "elementary", (0, 5), 420, "MA-DEMO-0702"
            ),
            SchoolSpec("MA-DEMO-0702", "Mill River Middle School", "middle", (6, 8), 540, "MA-DEMO-0703"),
            SchoolSpec("MA-DEMO-0703", "Riverbend High School", "high", (9, 12), 1050),
        ],
        start_offset=1,
        term=5,
        drafted=(-1, -60),
        lifecycle=[("pre_launch", (-1, -30), "Selected through the state's RFP; MOU signed.")],
        levels={
            "attendance_rate": [88.2],
            "days_absent_per_student": [17.0],
            "chronic_absence_rate": [31],
            "discipline_incidents": [640],
            "violent_incidents": [70],
            "enrolment": [2010],
            "teacher_retention_rate": [71],
            "student_turnover_rate": [22],
            "formative_assessment_proficiency": [31],
            "ela_proficiency": [30],
            "math_proficiency": [24],
            "state_index_score": [6],  # Massachusetts' accountability percentile
            "graduation_rate": [64],
            "college_enrolment_rate": [46],
        },
        autonomies={
            **ALL_GRANTED,
            "modified_cba": (
                "partial",
                "Zone agreement with the teachers' union: working conditions set by the zone.",
            ),
            "extended_time": ("granted", "An eight-hour day in all three schools."),
            "choose_central_services": ("partial", ""),
        },
        owners={"curricula": "lead_partner", "co_curriculars": "shared"},
        # select_data and design_facility stay undecided during pre-launch: the portal flags them.
        funding=(Decimal("13800.00"), Decimal("100.00"), Decimal("3600000.00")),
        notes="DEMO: the Lead Partner is a fictional Massachusetts priority partner. The state is the "
        "contracting authority for this cluster of the Springfield Empowerment Zone; the contract "
        "starts next school year.",
    ),
]

USERS = [
    # username, first name, last name, role, body (kind, key), title
    (
        "district",
        "Dana",
        "Reyes",
        Role.DISTRICT_STAFF,
        ("district", "Chicago Public Schools"),
        "Turnaround office",
    ),
    (
        "state",
        "Sam",
        "Whitfield",
        Role.STATE_STAFF,
        ("state", "MA"),
        "Office of District and School Turnaround",
    ),
    (
        "partner",
        "Pat",
        "Okafor",
        Role.PARTNER_PROGRAM,
        ("organization", AUSL),
        "Director of data and evaluation",
    ),
    (
        "field",
        "Frankie",
        "Nguyen",
        Role.PARTNER_FIELD,
        ("organization", AUSL),
        "Field staff, Englewood cluster",
    ),
]
USERS_TABLE = [
    (
        "district",
        "district staff, Chicago Public Schools",
        "Chicago's two AUSL contracts, their schools, targets, data and visits; edits them",
    ),
    (
        "state",
        "state staff, Massachusetts",
        "Massachusetts: the Springfield pre-launch contract, its RFP, priority partners",
    ),
    ("partner", "partner program staff, AUSL", "AUSL's contracts and schools; enters measurements"),
    ("field", "partner field staff, AUSL", "AUSL's active contracts; logs field visits"),
    ("admin", "superuser", "everything, and the Django admin"),
]


class DemoBuilder:
    """Builds the demo portal; build() runs in one transaction."""

    def __init__(self, today=None):
        self.today = today or timezone.localdate()
        self.sy = school_year_start(self.today)
        self.contracts = {}

    def build(self):
        with transaction.atomic():
            self.indicators = {i.code: i for i in Indicator.objects.all()}
            missing = sorted(set(MONTHLY + SCHOOL_YEAR + TESTS + [ENROLMENT]) - set(self.indicators))
            if missing or not AutonomyItem.objects.exists() or not ServiceArea.objects.exists():
                raise CommandError(
                    "The reference catalogs are incomplete (missing indicators: "
                    f"{', '.join(missing) or 'none'}): run `manage.py migrate` first."
                )
            self.places()
            self.organizations()
            self.make_users()
            for plan in PLANS:
                self.contracts[plan.reference] = self.contract(plan)
            self.subcontracts()
            # Visits and calendar days refresh presence once, as of the demo's day.
            with presence.batched(today=self.today):
                self.field_visits()
            self.rfp_candidates()
            ids = [c.pk for c in self.contracts.values()]
            engine.recompute_contracts(ids, as_of=self.today)
        return list(self.contracts.values())

    # places and bodies -------------------------------------------------------------------------
    def places(self):
        self.states = {code: upsert(State, {"code": code}, {"name": name}) for code, name in STATES}
        self.districts = {
            name: upsert(District, {"state": self.states[state], "name": name}, {"nces_id": nces})
            for state, name, nces in DISTRICTS
        }
        self.zones = {
            "Springfield Empowerment Zone": upsert(
                PartnershipZone,
                {
                    "district": self.districts["Springfield Public Schools"],
                    "name": "Springfield Empowerment Zone",
                },
                {
                    "conditions": "A protected carve-out of the district, run by a board appointed by the "
                    "district and the state: flexible conditions on people, time, money and program, "
                    "and a zone agreement with the teachers' union.",
                    "established_on": date(self.sy.year - 2, 1, 15),
                },
            )
        }

    def organizations(self):
        self.orgs = {}
        for name, short, kind, state, founded, union, description in ORGANIZATIONS:
            self.orgs[name] = upsert(
                Organization,
                {"name": name},
                {
                    "short_name": short,
                    "kind": kind,
                    "home_state": self.states.get(state),
                    "founded_year": founded,
                    "unionized_staff": union,
                    "description": description,
                },
            )
        massachusetts = self.states["MA"]
        areas = {a.code: a for a in ServiceArea.objects.all()}
        designated_on = date(self.sy.year - 1, 9, 15)
        for name, codes, evidence in DESIGNATIONS:
            designation = upsert(
                PriorityPartnerDesignation,
                {"state": massachusetts, "organization": self.orgs[name], "designated_on": designated_on},
                {"expires_on": add_years(designated_on, 3) - timedelta(days=1), "evidence": evidence},
            )
            designation.service_areas.set([areas[c] for c in codes])

    def self_audits(self):
        items = list(SelfAuditItem.objects.all())
        for name, partly, no, summary in AUDITS:
            audit = upsert(
                SelfAudit,
                {"organization": self.orgs[name], "completed_on": date(self.sy.year - 1, 10, 20)},
                {"summary": summary, "completed_by": None},
            )
            for item in items:
                answer = "no" if item.code in no else "partly" if item.code in partly else "yes"
                evidence = {
                    "yes": "Documented in the proposal's track record section.",
                    "partly": "Some experience; the proposal says how the gap will be filled.",
                    "no": "Not yet.",
                }[answer]
                upsert(
                    SelfAuditAnswer, {"audit": audit, "item": item}, {"answer": answer, "evidence": evidence}
                )

    def make_users(self):
        self.users = {}
        bodies = {"district": self.districts, "state": self.states, "organization": self.orgs}
        for username, first, last, role, (kind, key), title in USERS:
            user = self._user(username, first, last)
            body = {"district": None, "state": None, "organization": None, kind: bodies[kind][key]}
            upsert(UserProfile, {"user": user}, {"role": role, "title": title, **body})
            self.users[username] = user
        self.users["admin"] = self._user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)

    @staticmethod
    def _user(username, first, last, is_staff=False, is_superuser=False):
        user = upsert(
            get_user_model(),
            {"username": username},
            {
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.example.org",
                "is_active": True,
                "is_staff": is_staff,
                "is_superuser": is_superuser,
            },
        )
        if not user.check_password(PASSWORD):  # reset only when changed: each reset is logged
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        return user

    # a contract and everything it carries ------------------------------------------------------
    def contract(self, plan):
        district = self.districts[plan.district]
        schools = self.schools_of(plan, district)
        cluster = upsert(
            Cluster,
            {"district": district, "name": plan.cluster},
            {"zone": self.zones[plan.zone] if plan.zone else None},
        )
        for school in schools:
            ClusterMembership.objects.get_or_create(cluster=cluster, school=school)

        start = add_years(self.sy, plan.start_offset)
        end = add_years(start, plan.term) - timedelta(days=1)
        steps = [("draft", plan.drafted, "Contract drafted.")] + plan.lifecycle
        dates = {status: add_years(start, years) + timedelta(days=days) for status, (years, days), _ in steps}
        actor = {"Chicago Public Schools": self.users["district"]}.get(plan.district)
        if plan.authority == "state" and plan.state == "MA":
            actor = self.users["state"]
        per_pupil, share, grant = plan.funding
        mou = dates["pre_launch"]
        terms = {
            "name": plan.name,
            "district": district,
            "authority": plan.authority,
            "lead_partner": self.orgs[plan.partner],
            "cluster": cluster,
            "start_date": start,
            "end_date": end,
            "mou_signed_on": mou,
            "signed_on": mou + timedelta(days=21) if mou + timedelta(days=21) <= self.today else None,
            "per_pupil_allocation": per_pupil,
            "central_office_share_pct": share,
            "improvement_grant_amount": grant,
            "improvement_margin": plan.improvement_margin,
            "notes": plan.notes,
        }
        if plan.authority == "state":
            terms["proposal"] = self.rfp(plan, schools, start)
        contract = PerformanceContract.objects.filter(reference=plan.reference).first()
        if contract is None:
            contract = services.create_contract(reference=plan.reference, created_by=actor, **terms)
        else:
            changed = _assign(contract, terms)
            if changed:
                contract.save(update_fields=changed)
        self.walk(contract, steps, dates, actor)
        contract.refresh_from_db()

        self.settle_terms(plan, contract)
        self.checklist(contract, start, dates)
        until = min(self.today, contract.ended_on) if contract.ended_on else self.today
        levels = self.measurements(plan, schools, start, until, district)
        self.targets(plan, contract, schools, levels)
        self.reviews(plan, contract, start, actor)
        return contract

    def schools_of(self, plan, district):
        schools = {}
        for spec in plan.schools:
            schools[spec.state_id] = upsert(
                School,
                {"state_id": spec.state_id},
                {
                    "district": district,
                    "name": spec.name,
                    "level": spec.level,
                    "grade_low": spec.grades[0],
                    "grade_high": spec.grades[1],
                },
            )
        for spec in plan.schools:
            school = schools[spec.state_id]
            changed = _assign(school, {"feeds_into": schools.get(spec.feeds_into)})
            if changed:
                school.save(update_fields=changed)
        return list(schools.values())

    def walk(self, contract, steps, dates, actor):
        """Move the contract along its lifecycle through the service, then date each recorded change
        on its effective day (the service stamps `changed_at` with the moment it runs)."""
        path = [status for status, _, _ in steps]
        if contract.lifecycle_status not in path:
            return  # moved elsewhere by someone using the demo: leave it
        for status, _, reason in steps[path.index(contract.lifecycle_status) + 1 :]:
            services.transition_contract(
                contract, status, user=actor, reason=reason, effective_on=dates[status]
            )
        previous = ""
        for status, _, reason in steps:
            change = contract.status_changes.filter(from_status=previous, to_status=status).first()
            previous = status
            if change is None:
                continue
            values = {
                "effective_on": dates[status],
                "changed_at": min(on(dates[status]), timezone.now()),
                "reason": reason,
                "changed_by": actor,
            }
            changed = _assign(change, values)
            if changed:
                change.save(update_fields=changed)
        ended = contract.status_changes.filter(to_status__in=["terminated", "completed"]).first()
        if ended and contract.ended_on != ended.effective_on:
            contract.ended_on = ended.effective_on
            bulk_update_with_history([contract], PerformanceContract, ["ended_on"])  # in its history

    def settle_terms(self, plan, contract):
        for autonomy in contract.autonomies.select_related("item"):
            grant, notes = plan.autonomies.get(autonomy.item.code, ("not_granted", ""))
            changed = _assign(autonomy, {"grant": grant, "notes": notes})
            if changed:
                autonomy.save(update_fields=changed)
        for responsibility in contract.responsibilities.select_related("item"):
            owner = plan.owners.get(responsibility.item.code, responsibility.item.default_owner)
            changed = _assign(responsibility, {"owner": owner})
            if changed:
                responsibility.save(update_fields=changed)

    def checklist(self, contract, start, dates):
        """Launched contracts did everything before their start; the pre-launch one is part-way."""
        mou = dates["pre_launch"]
        planned = {
            "mou_signed": (mou, mou),
            "district_relationships": (mou + timedelta(days=30), mou + timedelta(days=20)),
            "community_engagement": (mou + timedelta(days=60), mou + timedelta(days=55)),
            "supporting_partner_contracts": (start - timedelta(days=240), start - timedelta(days=250)),
            "school_design_final": (start - timedelta(days=150), start - timedelta(days=160)),
            "staff_hired": (start - timedelta(days=60), start - timedelta(days=75)),
            "facilities_work": (start - timedelta(days=20), start - timedelta(days=25)),
            "summer_pd": (start - timedelta(days=5), start - timedelta(days=7)),
        }
        for item in contract.checklist.all():
            due, done = planned[item.task]
            done = min(done, start - timedelta(days=1))
            values = {"due_on": due, "done_on": done if done <= self.today else None}
            changed = _assign(item, values)
            if changed:
                item.save(update_fields=changed)

    # indicator data ----------------------------------------------------------------------------
    def _level(self, plan, code, k):
        levels = plan.levels.get(code)
        if not levels:
            return None
        return levels[min(k, len(levels) - 1)]

    def _applies(self, plan, code, school=None, schools=None):
        if code not in plan.levels:
            return False
        if code == "state_index_score" and plan.state not in STATES_WITH_INDEX:
            return False
        if code in HIGH_SCHOOL_ONLY:
            if school is not None:
                return school.level in HIGH_LEVELS
            return any(s.level in HIGH_LEVELS for s in schools)
        return True

    def simulate(self, plan, schools, years):
        """Yearly levels per (school id, indicator, k); k = 0 is the year before the start.

        Also sets each school's enrolment to its value in the current school year."""
        levels = {}
        kmax = len(years) - 1
        # enrolment first: the weights of every rate
        for k in range(kmax + 1):
            total = self._level(plan, "enrolment", k)
            for school, value in zip(schools, self._share(plan, schools, "enrolment", k, total), strict=True):
                levels[school.pk, "enrolment", k] = value
        for school in schools:
            changed = _assign(school, {"enrolment": levels[school.pk, "enrolment", kmax]})
            if changed:
                school.save(update_fields=changed)
        for code in self.indicators:
            if code == "enrolment" or code not in MONTHLY + SCHOOL_YEAR + TESTS:
                continue
            if not self._applies(plan, code, schools=schools):
                continue
            reporting = [s for s in schools if self._applies(plan, code, school=s)]
            indicator = self.indicators[code]
            for k in range(kmax + 1):
                level = self._level(plan, code, k)
                if indicator.is_count:
                    for school, value in zip(
                        reporting, self._share(plan, reporting, code, k, level), strict=True
                    ):
                        levels[school.pk, code, k] = value
                    continue
                weights = [levels[s.pk, "enrolment", k] for s in reporting]
                for school, value in zip(
                    reporting, self._scatter(plan, reporting, code, k, level, weights), strict=True
                ):
                    levels[school.pk, code, k] = value
        if kmax >= 1:  # the values measured at launch, in contract year 1
            weights = [levels[s.pk, "enrolment", 1] for s in schools]
            for code, (level, _) in plan.at_launch.items():
                for school, value in zip(
                    schools, self._scatter(plan, schools, code, 1, level, weights), strict=True
                ):
                    levels[school.pk, code, 1] = value
        return levels

    def _share(self, plan, schools, code, k, total):
        """A cluster total shared out by size with some noise, in whole numbers summing to it."""
        spread = 0.04 if code == "enrolment" else 0.15
        weights = []
        for spec, school in zip(self._specs(plan, schools), schools, strict=True):
            rng = random.Random(f"{school.state_id}:{code}:{k}:share")
            weights.append(spec.enrolment * (1 + rng.uniform(-spread, spread)))
        raw = [total * w / sum(weights) for w in weights]
        values = [int(v) for v in raw]
        remainders = sorted(range(len(raw)), key=lambda i: raw[i] - values[i], reverse=True)
        for i in remainders[: round(total) - sum(values)]:
            values[i] += 1
        return values

    def _specs(self, plan, schools):
        by_id = {spec.state_id: spec for spec in plan.schools}
        return [by_id[s.state_id] for s in schools]

    def _scatter(self, plan, schools, code, k, level, weights):
        """School values around a level whose mean weighted by `weights` (the schools' enrolment in
        year k, which the portal weighs them by) is the level."""
        indicator = self.indicators[code]
        spread = SPREAD.get(code, 0.0)
        low = indicator.min_value if indicator.min_value is not None else float("-inf")
        high = indicator.max_value if indicator.max_value is not None else float("inf")
        headroom = (
            max(0.0, min(1.0, (high - level) / (1.5 * spread), (level - low) / (1.5 * spread)))
            if spread
            else 0.0
        )
        values, fixed = [], []
        for school in schools:
            own = plan.school_levels.get((school.state_id, code))
            if own is not None:
                values.append(float(own[min(k, len(own) - 1)]))
                fixed.append(True)
                continue
            offset = random.Random(f"{school.state_id}:{code}:offset").uniform(-1, 1) * spread
            noise = random.Random(f"{school.state_id}:{code}:{k}").gauss(0, 0.2 * spread)
            values.append(level + headroom * (offset + noise))
            fixed.append(False)
        free = sum(w for w, f in zip(weights, fixed, strict=True) if not f)
        if free:
            shift = (level * sum(weights) - sum(v * w for v, w in zip(values, weights, strict=True))) / free
            values = [v if f else v + shift for v, f in zip(values, fixed, strict=True)]
        return [min(high, max(low, v)) for v in values]

    def _months(self, school, code, year, level):
        """The ten monthly values (September..June) of a school year, averaging or summing to `level`."""
        indicator = self.indicators[code]
        rng = random.Random(f"{school.state_id}:{code}:{year}:months")
        if indicator.aggregation == "sum":
            shares = [s * (1 + rng.uniform(-0.15, 0.15)) for s in MONTH_SHARE]
            raw = [level * s / sum(shares) for s in shares]
            if indicator.is_count:
                values = [int(v) for v in raw]
                order = sorted(range(10), key=lambda i: raw[i] - values[i], reverse=True)
                for i in order[: round(level) - sum(values)]:
                    values[i] += 1
                return [float(v) for v in values]
            return [round(v, 2) for v in raw]
        pattern = MONTH_PATTERN.get(code, [0.0] * 10)
        wobble = [p + rng.gauss(0, 0.6) for p in pattern]
        mean = sum(wobble) / 10
        return [round(min(100.0, max(0.0, level + w - mean)), 1) for w in wobble]

    def measurements(self, plan, schools, start, until, district):
        """Monthly and yearly values of every school, from the year before the start up to `until`
        (nothing after today); returns the yearly levels, for the baselines."""
        first_year = start.year - 1
        years = list(range(first_year, max(first_year, self.sy.year) + 1))
        levels = self.simulate(plan, schools, years)
        month, first_day, last_day = TEST_WINDOWS[plan.state]
        unreported = {(state_id, code) for state_id, code in plan.unreported}
        for school in schools:
            for state_id, code in plan.unreported:
                if state_id == school.state_id:  # from an earlier build of the demo
                    Measurement.objects.filter(
                        school=school, indicator=self.indicators[code], period_end__gte=self.sy
                    ).delete()
        rows = []
        for k, year in enumerate(years):
            for school in schools:
                periods = []
                if k == 1:  # measured on the contract's first day
                    for code in plan.at_launch:
                        periods.append((code, start, start, levels[school.pk, code, k]))
                for code in MONTHLY:
                    if (school.pk, code, k) not in levels:
                        continue
                    values = self._months(school, code, year, levels[school.pk, code, k])
                    for m, value in zip(SCHOOL_MONTHS, values, strict=True):
                        periods.append((code, *month_bounds(year if m >= 7 else year + 1, m), value))
                for code in SCHOOL_YEAR:
                    if (school.pk, code, k) in levels:
                        periods.append(
                            (code, date(year, 7, 1), date(year + 1, 6, 30), levels[school.pk, code, k])
                        )
                for code in TESTS:
                    if (school.pk, code, k) in levels:
                        window = (date(year + 1, month, first_day), date(year + 1, month, last_day))
                        periods.append((code, *window, levels[school.pk, code, k]))
                count_day = date(year, 10, 1)
                periods.append((ENROLMENT, count_day, count_day, levels[school.pk, ENROLMENT, k]))
                for code, first, last, value in periods:
                    if (school.state_id, code) in unreported and last >= self.sy:
                        continue
                    if last <= until:
                        rows.append(self._measurement(plan, school, code, first, last, value, district))
        Measurement.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=list(MEASUREMENT_KEY),
            update_fields=[
                "value",
                "source",
                "supplied_by",
                "verification",
                "dispute_reason",
                "verified_by",
                "verified_at",
            ],
        )
        return levels

    def _measurement(self, plan, school, code, first, last, value, district):
        indicator = self.indicators[code]
        if indicator.min_value is not None:
            value = max(indicator.min_value, value)
        if indicator.max_value is not None:
            value = min(indicator.max_value, value)
        value = round(value, 0 if indicator.is_count else 1)
        chicago = district.name == "Chicago Public Schools"
        row = Measurement(
            school=school,
            indicator=indicator,
            period_start=first,
            period_end=last,
            value=value,
            source="import",
            supplied_by=self.users["partner"] if plan.partner == AUSL else None,
            verification="verified",
            dispute_reason="",
            verified_by=self.users["district"] if chicago else None,
            verified_at=on(last + timedelta(days=21), 10),
        )
        recent = last > self.today - VERIFICATION_LAG
        # Locke's latest test results are not verified yet either (the state releases them later).
        latest_locke_test = (
            plan.partner == GREEN_DOT and code in TESTS and last.year == self.latest_spring(plan)
        )
        if recent or latest_locke_test:
            row.verification, row.verified_by, row.verified_at = "reported", None, None
        if (
            school.name.startswith("Harvard")
            and code == "discipline_incidents"
            and first == date(self.sy.year - 1, 10, 1)
        ):
            row.verification = "disputed"
            row.dispute_reason = (
                f"The district's student information system logs {int(value) + 19} incidents at Harvard in "
                f"October; the import has {int(value)}. Please check the export's filter on referral types."
            )
        return row

    def latest_spring(self, plan):
        """The year of the latest spring test window that has ended."""
        month, _, last_day = TEST_WINDOWS[plan.state]
        return (
            self.today.year if date(self.today.year, month, last_day) <= self.today else self.today.year - 1
        )

    def targets(self, plan, contract, schools, levels):
        """Cluster-wide targets for each contract year (baseline: the year before the start); per
        high school where only the high schools report an indicator; the year-1 targets of the
        values measured at launch; a few more per-school targets. Each with its accountability."""
        wanted = {}
        for code in TARGET_GOALS:
            if not self._applies(plan, code, schools=schools):
                continue
            indicator = self.indicators[code]
            if self._cluster_wide(plan, code):
                baseline = self._level(plan, code, 0)
                for year in range(1, plan.term + 1):
                    wanted[code, year, None] = (
                        self._round(indicator, baseline),
                        self._round(indicator, self.target_value(plan, code, year)),
                    )
                continue
            # A cluster-wide value would wait forever for the schools that have no graduates
            # (`incomplete`): a target per high school, from its own baseline.
            for school in schools:
                if not self._applies(plan, code, school=school):
                    continue
                baseline = levels[school.pk, code, 0]
                for year in range(1, plan.term + 1):
                    wanted[code, year, school.pk] = (
                        self._round(indicator, baseline),
                        self._round(indicator, self.target_value(plan, code, year, baseline)),
                    )
        for code, (_, target) in plan.at_launch.items():
            wanted[code, 1, None] = (None, target)  # nothing to compare with before the launch
        by_state_id = {s.state_id: s for s in schools}
        for state_id, code, values in plan.school_targets:
            school = by_state_id[state_id]
            baseline = self._round(self.indicators[code], levels[school.pk, code, 0])
            for year in range(1, plan.term + 1):
                wanted[code, year, school.pk] = (baseline, values[min(year, len(values)) - 1])
        state_ids = {s.pk: s.state_id for s in schools}
        existing = {
            (t.indicator.code, t.contract_year, t.school_id): t
            for t in contract.targets.select_related("indicator")
        }
        # Cluster-wide targets of the high schools' indicators, from earlier builds of the demo.
        for key, row in existing.items():
            if key not in wanted and key[0] in HIGH_SCHOOL_ONLY and key[2] is None:
                row.delete()
        new = []
        for (code, year, school_id), (baseline, target) in wanted.items():
            accountability = self._accountability(plan, code, year, state_ids.get(school_id))
            row = existing.get((code, year, school_id))
            if row is None:
                new.append(
                    Target(
                        contract=contract,
                        indicator=self.indicators[code],
                        contract_year=year,
                        school_id=school_id,
                        baseline=baseline,
                        target=target,
                        accountability=accountability,
                    )
                )
                continue
            changed = _assign(row, {"baseline": baseline, "target": target, "accountability": accountability})
            if changed:
                row.save(update_fields=changed)
        if new:
            bulk_create_with_history(new, Target)

    def _cluster_wide(self, plan, code):
        """Whether every school of the plan reports the indicator, so that its targets are
        cluster-wide (graduation and college enrolment only at the high schools)."""
        return all(self._applies(plan, code, school=spec) for spec in plan.schools)

    @staticmethod
    def _accountability(plan, code, year, state_id=None):
        """The accountability of a target (school: its state id; None for cluster-wide): the plan's
        override, else the default of the seed's timeline."""
        for o_code, o_school, o_years, accountability in plan.accountability:
            if o_code == code and o_school == state_id and (o_years is None or year in o_years):
                return accountability
        return rules.DEFAULT

    def target_value(self, plan, code, year, baseline=None):
        """The target of a contract year: from the baseline (default: the cluster's) towards the
        goal of the term, faster early on for the leading indicators."""
        if baseline is None:
            baseline = self._level(plan, code, 0)
        goal = TARGET_GOALS[code](baseline)
        fraction = year / plan.term
        if self.indicators[code].kind == "leading":
            fraction = fraction**0.6
        return baseline + (goal - baseline) * fraction

    @staticmethod
    def _round(indicator, value):
        return float(round(value)) if indicator.is_count else round(value, 1)

    def evidence(self, plan, year):
        """The accountable cluster-wide indicators' statuses of a contract year, as a review would
        have seen them."""
        rows = []
        for code in TARGET_GOALS:
            indicator = self.indicators[code]
            if code not in plan.levels or not self._cluster_wide(plan, code):
                continue
            accountability = self._accountability(plan, code, year)
            if not rules.is_accountable(indicator.kind, year, accountability=accountability):
                continue
            if code == "state_index_score" and plan.state not in STATES_WITH_INDEX:
                continue
            baseline = self._round(indicator, self._level(plan, code, 0))
            target = self._round(indicator, self.target_value(plan, code, year))
            value = self._round(indicator, self._level(plan, code, year))
            previous = self._round(indicator, self._level(plan, code, year - 1)) if year > 1 else None
            progress = rules.progress(value, baseline, target, indicator.direction)
            status, by_improvement = rules.with_improvement(
                rules.status(value, progress, target, indicator.direction),
                value,
                previous,
                target,
                indicator.direction,
                plan.improvement_margin,
            )
            rows.append(
                {
                    "indicator": code,
                    "kind": indicator.kind,
                    "contract_year": year,
                    "school": None,
                    "baseline": baseline,
                    "target": target,
                    "value": value,
                    "progress": round(progress, 2),
                    "status": status,
                    "by_improvement": by_improvement,
                }
            )
        return rows

    # schools for a new RFP ----------------------------------------------------------------------
    def rfp_candidates(self):
        """Chicago schools under no contract, with their data of the last two school years, so
        that a district user can run an RFP to a contract whose baselines fill from the data."""
        district = self.districts["Chicago Public Schools"]
        specs = [
            SchoolSpec("IL-DEMO-0301", "Garfield Park Academy High School", "high", (9, 12), 720),
            SchoolSpec("IL-DEMO-0302", "Tilton Elementary School", "elementary", (0, 5), 380, "IL-DEMO-0301"),
            SchoolSpec("IL-DEMO-0303", "Morse Middle School", "middle", (6, 8), 410, "IL-DEMO-0301"),
        ]
        schools = self.schools_of(SimpleNamespace(schools=specs), district)
        for school, spec in zip(schools, specs, strict=True):
            if school.enrolment != spec.enrolment:
                school.enrolment = spec.enrolment
                school.save(update_fields=["enrolment"])
        # Two school years back to last month: monthly attendance and incidents, the yearly
        # chronic absence rate and the spring tests of the years that have ended.
        first_year = self.sy.year - 2
        month, first_day, last_day = TEST_WINDOWS["IL"]
        for index, school in enumerate(schools):
            for year in (first_year, first_year + 1, first_year + 2):
                drift = year - first_year
                for position, school_month in enumerate(SCHOOL_MONTHS):
                    first, last = month_bounds(year if school_month >= 7 else year + 1, school_month)
                    if last >= self.today:
                        continue
                    attendance = 86.5 + index + 0.4 * drift + MONTH_PATTERN["attendance_rate"][position]
                    self._candidate_value(school, "attendance_rate", first, last, attendance)
                    self._candidate_value(school, "discipline_incidents", first, last, 14 + 6 * index - drift)
                if date(year + 1, 6, 30) < self.today:
                    chronic = 38.0 - 3 * index - 2 * drift
                    self._candidate_value(
                        school, "chronic_absence_rate", date(year, 7, 1), date(year + 1, 6, 30), chronic
                    )
                    window = (date(year + 1, month, first_day), date(year + 1, month, last_day))
                    self._candidate_value(school, "ela_proficiency", *window, 18.0 + 2 * index + drift)
                    self._candidate_value(school, "math_proficiency", *window, 15.0 + 2 * index + drift)

    def _candidate_value(self, school, code, first, last, value):
        upsert(
            Measurement,
            {
                "school": school,
                "indicator": self.indicators[code],
                "period_start": first,
                "period_end": last,
                "student_group": "all",
            },
            {"value": round(value, 1), "source": "import", "verification": "verified"},
        )

    # reviews, decisions, RFP -------------------------------------------------------------------
    def reviews(self, plan, contract, start, actor):
        reviews = {}
        for year, (days, recommendation) in plan.reviews.items():
            review_date = add_years(start, year) - timedelta(days=1) + timedelta(days=days)
            if review_date > self.today:
                continue
            evidence = self.evidence(plan, year)
            summary = "; ".join(
                f"{self.indicators[e['indicator']].name} {e['value']:g} against a target of {e['target']:g} "
                f"({e['status'].replace('_', ' ')}{', by improvement' if e['by_improvement'] else ''})"
                for e in evidence[:4]
            )
            findings = {
                "continue": f"Year {year}: {summary}. Continue under the current terms.",
                "renew": f"Year {year}: {summary}. The lagging indicators carry the year: renew.",
                "probation": f"Year {year}: {summary}. Field staff on site on fewer than half the school "
                "days. Place on probation with a corrective plan.",
                "terminate": f"Year {year}: {summary}. The corrective plan did not turn the indicators "
                "around: terminate at the end of the school year.",
            }[recommendation]
            reviews[year] = upsert(
                ContractReview,
                {"contract": contract, "contract_year": year},
                {
                    "review_date": review_date,
                    "reviewer": actor,
                    "findings": findings,
                    "recommendation": recommendation,
                },
            )
        decisions = {"renew": "renewal", "probation": "probation", "terminate": "termination"}
        statuses = {"renewal": "renewed", "probation": "probation", "termination": "terminated"}
        for year, review in reviews.items():
            kind = decisions.get(review.recommendation)
            if kind is None:
                continue
            change = contract.status_changes.filter(to_status=statuses[kind]).first()
            rationale = {
                "renewal": "Three years of results: violence down 80%, student turnover down a third, "
                "every graduate enrolled in college, proficiency gains in every grade. Years 4-5 of "
                "the term confirmed.",
                "probation": "Every accountable leading indicator off track after year 1, and enrolment "
                "(hence funding) falling. Probation with a corrective plan and monthly check-ins.",
                "termination": "Outcomes did not improve during probation: attendance, chronic absence, "
                "discipline and enrolment all moved away from their targets. The contract ends with "
                "the school year; the schools return to the district.",
            }[kind]
            upsert(
                ContractDecision,
                {"contract": contract, "kind": kind},
                {
                    "review": review,
                    "decided_on": review.review_date + timedelta(days=10),
                    "decided_by": actor,
                    "rationale": rationale,
                    "evidence": self.evidence(plan, year),
                    "status_change": change,
                },
            )

    def rfp(self, plan, schools, start):
        """The state's RFP for the pre-launch cluster, its proposals, and the selected one."""
        self.self_audits()
        rfp = upsert(
            Rfp,
            {"district": self.districts[plan.district], "title": "Lead Partner for the Riverbend cluster"},
            {
                "authority": "state",
                "status": "awarded",
                "description": "The Department seeks a Lead Partner to turn around Riverbend High School "
                "and its feeder schools in the Springfield Empowerment Zone under a five-year "
                "performance contract with the state.",
                "selection_criteria": "Track record with high-poverty students; turnaround experience; "
                "a comprehensive school model; field staff in each school five days a week; the "
                "self-audit.",
                "issued_on": start - timedelta(days=670),
                "proposals_due_on": start - timedelta(days=580),
            },
        )
        rfp.schools.set(schools)
        selected = None
        for name, score, status, notes in (
            (CTC, Decimal("88.50"), "selected", "Strongest school model and field presence plan."),
            (
                "Pioneer Valley University School Partnership (demo)",
                Decimal("74.00"),
                "not_selected",
                "Strong data coaching; operations would depend on subcontracts.",
            ),
            (
                "Extended Day Alliance (demo)",
                Decimal("61.50"),
                "not_selected",
                "Expanded learning time only; not a whole-school model.",
            ),
        ):
            proposal = upsert(
                Proposal,
                {"rfp": rfp, "organization": self.orgs[name]},
                {
                    "submitted_on": start - timedelta(days=585),
                    "summary": f"{name}: plan for the Riverbend cluster.",
                    "score": score,
                    "reviewer_notes": notes,
                    "status": status,
                },
            )
            if status == "selected":
                selected = proposal
        return selected

    def subcontracts(self):
        rows = [
            (
                "CPS-LP-ENGLEWOOD",
                "Englewood Tutoring Corps (demo)",
                "High-dosage math tutoring, grades 3-8",
                240_000,
            ),
            (
                "CPS-LP-ENGLEWOOD",
                "Chicago Family Support Network (demo)",
                "Social workers and family support in every school",
                180_000,
            ),
            (
                "CPS-LP-FARSOUTH",
                "Englewood Tutoring Corps (demo)",
                "High-dosage reading tutoring, grades K-3",
                150_000,
            ),
            (
                "SDP-LP-MASTERY",
                "Schuylkill Literacy Collaborative (demo)",
                "Reading intervention, grades 7-9",
                165_000,
            ),
            (
                "MA-DESE-SPRINGFIELD",
                "Bay State Teaching Fellows (demo)",
                "Recruiting and training teachers for the launch",
                310_000,
            ),
        ]
        for reference, partner, services_text, amount in rows:
            contract = self.contracts[reference]
            first = (
                contract.start_date - timedelta(days=250)
                if reference.startswith("MA-")
                else contract.start_date
            )
            upsert(
                Subcontract,
                {"contract": contract, "supporting_partner": self.orgs[partner]},
                {
                    "services": services_text,
                    "start_date": first,
                    "end_date": min(contract.end_date, add_years(contract.start_date, 3) - timedelta(days=1)),
                    "amount": Decimal(amount),
                },
            )

    # field visits ------------------------------------------------------------------------------
    def field_visits(self):
        """Ten weeks (nine full ones and the week under way) of the `field` user's visits to AUSL's
        schools: embedded at Sherman and Harvard most school days, now and then at the cluster's
        other schools, and a weekly remote check-in with a Far South school."""
        staff = self.users["field"]
        organization = self.orgs[AUSL]
        englewood = self.contracts["CPS-LP-ENGLEWOOD"]
        far_south = self.contracts["CPS-LP-FARSOUTH"]
        by_name = {s.name.split()[0]: s for s in englewood.schools.all()}
        others = [by_name[n] for n in ("Dulles", "Morton", "Englewood")]
        remote_rotation = list(far_south.schools.order_by("state_id"))
        focus_sets = [
            [VisitFocus.INSTRUCTIONAL, VisitFocus.PRINCIPAL_CHECK_IN],
            [VisitFocus.FORMATIVE_ASSESSMENT, VisitFocus.INSTRUCTIONAL],
            [VisitFocus.OPERATIONAL],
            [VisitFocus.SUPPORTING_PARTNERS, VisitFocus.OPERATIONAL],
            [VisitFocus.DISTRICT, VisitFocus.PRINCIPAL_CHECK_IN],
            [VisitFocus.NATIONAL_PARTNERS],
        ]
        progress = [
            "Walked grade 3-5 classrooms with the principal; the guided-reading block runs in every room.",
            "Data meeting with the 6-8 team on the interim assessment: 40 students regrouped.",
            "Arrival and dismissal routines run without incidents; hallway supervision plan adopted.",
            "The tutoring partner started its second cohort of 4th graders.",
            "Co-planned next week's math unit with two first-year teachers from the residency.",
            "Attendance calls to chronically absent families are up to date.",
        ]
        barriers = [
            "",
            "",
            "",
            "Two teacher vacancies still covered by substitutes.",
            "A district bus route changed without notice; 15 students late all week.",
            "The interim assessment platform was down for half a day.",
        ]
        visits = []
        starts = {s.pk: c.start_date for c in (englewood, far_south) for s in c.schools.all()}
        closed = self.calendar()

        def visit(school, day, mode, minutes, rng):
            if day < starts[school.pk] or day in closed:
                return
            visits.append(
                upsert(
                    FieldVisit,
                    {"staff": staff, "school": school, "visit_date": day},
                    {
                        "organization": organization,
                        "mode": mode,
                        "duration_minutes": minutes,
                        "focus": [str(f) for f in rng.choice(focus_sets)],
                        "progress": rng.choice(progress),
                        "barriers": rng.choice(barriers),
                    },
                )
            )

        first_day = day = self.visits_since()
        self._visit_days(day, visit, by_name, others, remote_rotation)
        self.follow_ups(visits)
        # Weeks without any on-site visit read 0%: fill the window's weeks in, as the nightly task does.
        presence.rebuild_presence(first_day, self.today, school_ids=list(starts), today=self.today)
        plan = next(p for p in PLANS if p.reference == englewood.reference)
        self.presence_targets(plan, englewood, [by_name["Sherman"], by_name["Harvard"]])

    def _visit_days(self, day, visit, by_name, others, remote_rotation):
        while day <= self.today:
            if day.weekday() < 5:
                rng = random.Random(f"visits:{day.isoformat()}")
                roll = rng.random()
                if roll < 0.1:  # a day of district meetings: remote check-in only
                    visit(by_name["Sherman"], day, "remote", 60, rng)
                else:
                    visit(by_name["Sherman"], day, "on_site", 240, rng)
                    second = others[day.toordinal() % len(others)] if roll > 0.8 else by_name["Harvard"]
                    visit(second, day, "on_site", 180, rng)
                if day.weekday() == 2:
                    visit(
                        remote_rotation[(day.toordinal() // 7) % len(remote_rotation)], day, "remote", 45, rng
                    )
            day += timedelta(days=1)

    def visits_since(self):
        """The Monday the demo's visits start: the presence heatmap's first week."""
        return presence.week_start(self.today) - timedelta(weeks=presence.HEATMAP_WEEKS - 1)

    def calendar(self):
        """Chicago's non-school days in the visits' window: a school improvement day (a Friday three
        weeks back), and Thanksgiving when the window holds it. Returns their dates."""
        chicago = self.districts["Chicago Public Schools"]
        friday = presence.week_start(self.today) - timedelta(days=17)
        days = {friday: "School improvement day (no students)"}
        november = date(self.today.year, 11, 1)
        thanksgiving = november + timedelta(days=(3 - november.weekday()) % 7 + 21)
        for offset, label in ((0, "Thanksgiving"), (1, "Thanksgiving break")):
            holiday = thanksgiving + timedelta(days=offset)
            if self.visits_since() <= holiday <= self.today:
                days[holiday] = label
        for day, description in days.items():
            upsert(NonSchoolDay, {"district": chicago, "date": day}, {"description": description})
        return set(days)

    def presence_targets(self, plan, contract, schools):
        """Field presence targets at the schools field staff are embedded in: 80% of school days
        with an on-site visit, from the current contract year on, when presence began to be logged
        (no baseline: there was no presence record before)."""
        indicator = self.indicators[presence.PRESENCE_INDICATOR]
        current_year = contract.phase_on(self.today)[1] or 1
        for school in schools:
            for year in range(current_year, (contract.term_years or 5) + 1):
                accountability = self._accountability(plan, indicator.code, year, school.state_id)
                upsert(
                    Target,
                    {"contract": contract, "indicator": indicator, "contract_year": year, "school": school},
                    {"baseline": None, "target": 80.0, "accountability": accountability},
                )

    def follow_ups(self, visits):
        on_site = sorted(
            (v for v in visits if v.mode == "on_site"), key=lambda v: (v.visit_date, v.school_id)
        )
        if len(on_site) < 3:
            return
        items = [
            (
                on_site[-1],
                "Send the regrouping list to the intervention team",
                "Principal",
                7,
                None,
            ),
            (
                on_site[len(on_site) // 2],
                "Ask the district's transportation office to restore the bus route",
                "AUSL program staff (district liaison)",
                7,
                4,
            ),
            (
                on_site[0],
                "Schedule the science lab repair with district facilities",
                "District facilities",
                21,
                None,
            ),
        ]
        notes = {
            "Ask the district's transportation office to restore the bus route": (
                "The transportation office restored the route from the following Monday."
            )
        }
        for visit, description, owner, due_days, done_days in items:
            done = visit.visit_date + timedelta(days=done_days) if done_days is not None else None
            closed = done if done and done <= self.today else None
            upsert(
                FollowUp,
                {"visit": visit, "description": description},
                {
                    "owner": owner,
                    "due_on": visit.visit_date + timedelta(days=due_days),
                    "done_on": closed,
                    "closing_note": notes.get(description, "Done.") if closed else "",
                    "closed_by": self.users["field"] if closed else None,
                },
            )
