"""The rules the database itself holds: each is tried with the ORM's plain create, which skips
form validation, so only the database can refuse it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts import services
from contracts.models import ContractSchool, ContractStatusChange, PerformanceContract, Target
from indicators.models import Measurement
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    MeasurementFactory,
    OrganizationFactory,
    TargetFactory,
    indicator,
)
from turnaround.models import Role, UserProfile

pytestmark = pytest.mark.django_db


def make_contract(start, end, **kwargs):
    district = DistrictFactory()
    return PerformanceContract.objects.create(
        reference=f"T-{start}-{end}",
        name="Term test",
        district=district,
        cluster=ClusterFactory(district=district, schools=0),
        lead_partner=OrganizationFactory(),
        start_date=start,
        end_date=end,
        **kwargs,
    )


@pytest.mark.parametrize(
    "end",
    [date(2027, 6, 30), date(2027, 7, 1), date(2028, 6, 30), date(2029, 6, 30), date(2029, 7, 1)],
    ids=["3y-less-a-day", "3y", "4y", "5y-less-a-day", "5y"],
)
def test_the_database_accepts_a_term_of_3_to_5_years(end):
    assert make_contract(date(2024, 7, 1), end).pk


@pytest.mark.parametrize(
    "end",
    [date(2026, 6, 30), date(2027, 6, 28), date(2030, 6, 30), date(2024, 6, 30)],
    ids=["2-year", "just-under-3-years", "6-year", "end-before-start"],
)
def test_the_database_refuses_a_term_outside_3_to_5_years(end):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_contract(date(2024, 7, 1), end)


def test_the_form_check_names_the_term_rule():
    contract = PerformanceContract(start_date=date(2024, 7, 1), end_date=date(2026, 6, 30))
    with pytest.raises(ValidationError) as error:
        contract.clean()
    assert "3 to 5 years" in str(error.value)
    assert "2027-06-30" in str(error.value)


def test_the_database_refuses_thresholds_out_of_order():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_contract(date(2024, 7, 1), date(2027, 6, 30), on_track_threshold=0.2, at_risk_threshold=0.5)


def test_the_database_refuses_a_duplicate_measurement():
    first = MeasurementFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(
            school=first.school,
            indicator=first.indicator,
            period_start=first.period_start,
            period_end=first.period_end,
            value=90.0,
            source="import",
        )


def test_the_same_period_for_another_student_group_is_a_different_measurement():
    first = MeasurementFactory()
    assert first.student_group == "all"
    MeasurementFactory(school=first.school, student_group="english_learners", value=70.0)
    assert Measurement.objects.filter(school=first.school).count() == 2


def test_the_database_refuses_a_dispute_without_a_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasurementFactory(verification="disputed", dispute_reason="")


def test_the_database_refuses_a_period_that_ends_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasurementFactory(period_start=date(2024, 9, 30), period_end=date(2024, 9, 1))


def test_the_database_refuses_a_second_target_for_the_same_school_year_and_indicator():
    target = TargetFactory(school=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            contract=target.contract, indicator=target.indicator, contract_year=1, baseline=70, target=85
        )
    school = target.contract.schools.first()
    Target.objects.create(
        contract=target.contract, indicator=target.indicator, contract_year=1, school=school, target=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            contract=target.contract, indicator=target.indicator, contract_year=1, school=school, target=2
        )


def test_a_target_year_outside_the_term_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetFactory(contract_year=6, indicator=indicator("graduation_rate"))


def test_the_database_refuses_a_transition_that_is_not_an_allowed_edge():
    contract = ContractFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractStatusChange.objects.create(
            contract=contract,
            from_status="draft",
            to_status="active",
            changed_at=timezone.now(),
            effective_on=date(2024, 7, 1),
            reason="Skipping pre-launch",
        )


def test_the_database_refuses_a_transition_without_a_reason():
    contract = ContractFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractStatusChange.objects.create(
            contract=contract,
            from_status="draft",
            to_status="pre_launch",
            changed_at=timezone.now(),
            effective_on=date(2024, 7, 1),
            reason="",
        )


def test_the_service_refuses_a_bad_transition_with_a_clear_message_and_writes_nothing():
    contract = ContractFactory(lifecycle_status="terminated")
    with pytest.raises(ValidationError) as error:
        services.transition_contract(contract, "active", reason="Second chance")
    assert "cannot become active" in str(error.value)
    contract.refresh_from_db()
    assert contract.lifecycle_status == "terminated"
    assert contract.status_changes.count() == 4


def test_each_transition_records_who_when_and_why(django_user_model):
    user = django_user_model.objects.create(username="officer")
    contract = ContractFactory(lifecycle_status="active")
    services.transition_contract(
        contract, "probation", user=user, reason="Attendance off track", effective_on=date(2025, 8, 1)
    )
    change = contract.status_changes.last()
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "active",
        "probation",
        user,
        "Attendance off track",
    )
    assert change.effective_on == date(2025, 8, 1)


def test_termination_ends_the_contract_and_frees_its_schools():
    contract = ContractFactory(lifecycle_status="active")
    services.transition_contract(
        contract, "terminated", reason="Outcomes not improving", effective_on=date(2025, 6, 30)
    )
    contract.refresh_from_db()
    assert contract.ended_on == date(2025, 6, 30)
    assert contract.phase_on(date(2025, 9, 1)) == ("ended", None)
    assert not contract.school_links.filter(in_force=True).exists()


def test_a_school_is_in_at_most_one_contract_in_force():
    first = ContractFactory(lifecycle_status="active")
    school = first.schools.first()
    second = ContractFactory(
        district=first.district, cluster=ClusterFactory(district=first.district, schools=[school])
    )
    with pytest.raises(ValidationError) as error:
        services.transition_contract(second, "pre_launch", reason="Signed")
    assert school.name in str(error.value)
    second.refresh_from_db()
    assert second.lifecycle_status == "draft"
    # And the database itself refuses it, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractSchool.objects.filter(contract=second).update(in_force=True)


def test_a_school_can_join_a_new_contract_once_the_old_one_ended():
    first = ContractFactory(lifecycle_status="active")
    services.transition_contract(first, "terminated", reason="Outcomes not improving")
    second = ContractFactory(
        district=first.district,
        cluster=ClusterFactory(district=first.district, schools=list(first.schools.all())),
    )
    services.transition_contract(second, "pre_launch", reason="Signed")
    assert second.school_links.filter(in_force=True).count() == 3


def test_a_profile_must_name_the_body_its_role_calls_for(django_user_model):
    user = django_user_model.objects.create(username="someone")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserProfile.objects.create(user=user, role=Role.DISTRICT_STAFF, organization=OrganizationFactory())
