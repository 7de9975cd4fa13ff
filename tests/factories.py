"""Factories for every app, shared by all tests."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from contracts import services
from contracts.models import PerformanceContract, Target
from indicators.models import Indicator, Measurement
from partners.models import FieldVisit, Organization
from schools.models import Cluster, ClusterMembership, District, School, SchoolYearCalendar, State
from turnaround.models import Role, UserProfile

CATALOG_MIGRATIONS = [
    "indicators.migrations.0002_indicator_catalog",
    "contracts.migrations.0003_autonomy_and_responsibility_catalogs",
    "partners.migrations.0002_self_audit_items_and_service_areas",
    "indicators.migrations.0007_field_presence_computed_from_visits",
]


def ensure_catalogs():
    """The reference data the migrations load. Transactional tests empty every table when they
    end, catalogs included, so the next test reloads them here."""
    if Indicator.objects.exists():
        return
    from importlib import import_module

    from django.apps import apps

    for name in CATALOG_MIGRATIONS:
        import_module(name).load(apps, None)


class StateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = State
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    name = factory.LazyAttribute(lambda o: f"State {o.code}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    state = factory.SubFactory(StateFactory)
    name = factory.Sequence(lambda n: f"District {n}")


class SchoolYearCalendarFactory(factory.django.DjangoModelFactory):
    """A district's own first and last day of school: 17 August to 4 June (in 2026-27, a Monday and a
    Friday)."""

    class Meta:
        model = SchoolYearCalendar

    district = factory.SubFactory(DistrictFactory)
    school_year = 2026
    first_day = factory.LazyAttribute(lambda o: date(o.school_year, 8, 17))
    last_day = factory.LazyAttribute(lambda o: date(o.school_year + 1, 6, 4))


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    state_id = factory.Sequence(lambda n: f"SCH{n:06d}")
    name = factory.Sequence(lambda n: f"School {n}")
    level = "elementary"
    grade_low = 0
    grade_high = 5
    enrolment = 400


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster
        skip_postgeneration_save = True

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Cluster {n}")

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        """ClusterFactory(schools=3) makes three schools; a list uses those schools."""
        if not create:
            return
        if extracted is None:
            extracted = 3
        schools = (
            [SchoolFactory(district=self.district) for _ in range(extracted)]
            if isinstance(extracted, int)
            else extracted
        )
        for school in schools:
            ClusterMembership.objects.create(cluster=self, school=school)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Partner organization {n}")
    kind = "school_management"


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract made through the service, so it has its schools, autonomies, responsibility
    split and checklist. ContractFactory(lifecycle_status="active") walks it along the lifecycle."""

    class Meta:
        model = PerformanceContract

    reference = factory.Sequence(lambda n: f"PC-{n:04d}")
    name = factory.Sequence(lambda n: f"Contract {n}")
    district = factory.SubFactory(DistrictFactory)
    cluster = factory.LazyAttribute(lambda o: ClusterFactory(district=o.district))
    lead_partner = factory.SubFactory(OrganizationFactory)
    start_date = date(2024, 7, 1)
    end_date = date(2029, 6, 30)

    @classmethod
    def _create(cls, model_class, *args, lifecycle_status="draft", **kwargs):
        ensure_catalogs()
        contract = services.create_contract(**kwargs)
        path = {
            "draft": [],
            "pre_launch": ["pre_launch"],
            "active": ["pre_launch", "active"],
            "probation": ["pre_launch", "active", "probation"],
            "renewed": ["pre_launch", "active", "renewed"],
            "terminated": ["pre_launch", "active", "terminated"],
            "completed": ["pre_launch", "active", "completed"],
        }[lifecycle_status]
        for status in path:
            services.transition_contract(contract, status, reason=f"Test: to {status}.")
        contract.refresh_from_db()
        return contract


def indicator(code):
    """An indicator of the catalog the migrations load."""
    ensure_catalogs()
    return Indicator.objects.get(code=code)


def cluster_target(contract, code, year, baseline, target, **kwargs):
    """A cluster-wide target of the indicator `code` for one contract year."""
    return Target.objects.create(
        contract=contract,
        indicator=indicator(code),
        contract_year=year,
        baseline=baseline,
        target=target,
        **kwargs,
    )


def report(schools, code, start, end, value):
    """The same value of the indicator `code` for one period at each of these schools."""
    for school in schools:
        Measurement.objects.create(
            school=school,
            indicator=indicator(code),
            period_start=start,
            period_end=end,
            value=value,
            source="form",
        )


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    contract = factory.SubFactory(ContractFactory)
    indicator = factory.LazyFunction(lambda: indicator("attendance_rate"))
    contract_year = 1
    baseline = 80.0
    target = 90.0


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    school = factory.SubFactory(SchoolFactory)
    indicator = factory.LazyFunction(lambda: indicator("attendance_rate"))
    period_start = date(2024, 9, 1)
    period_end = date(2024, 9, 30)
    value = 88.5
    source = "form"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("test-password")


def user_with_role(role, body, **kwargs):
    """A user of a district (district staff), a state (state staff) or an organization (partner staff)."""
    user = UserFactory(**kwargs)
    field = {
        Role.DISTRICT_STAFF: "district",
        Role.STATE_STAFF: "state",
        Role.PARTNER_PROGRAM: "organization",
        Role.PARTNER_FIELD: "organization",
    }[role]
    UserProfile.objects.create(user=user, role=role, **{field: body})
    return user


class FieldVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldVisit

    school = factory.SubFactory(SchoolFactory)
    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(UserFactory)
    visit_date = date(2024, 10, 7)
    mode = "on_site"
    duration_minutes = 360
    focus = factory.LazyFunction(lambda: ["instructional_support"])
