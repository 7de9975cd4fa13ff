"""Field presence as a leading indicator: weekly measurements written with the visit or calendar
change that moves them, a recompute scheduled after the commit, and a command to rebuild them."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from contracts.models import Target
from indicators import engine, tasks
from indicators.models import IndicatorStatus, Measurement
from partners import presence
from partners.presence import last_complete_week, week_start, weeks_between
from partners.tasks import refresh_recent_presence
from schools.models import NonSchoolDay
from tests.factories import FieldVisitFactory, indicator


def presence_rows(school=None):
    rows = Measurement.objects.filter(indicator__code="field_presence_rate")
    if school is not None:
        rows = rows.filter(school=school)
    return {m.period_start: m for m in rows.order_by("period_start")}


def visit(world, day, school=None, **kwargs):
    return FieldVisitFactory(
        school=school or world.school_a,
        organization=world.partner_p,
        staff=world.users["field_p"],
        visit_date=day,
        **kwargs,
    )


@pytest.fixture
def last_week(world):
    return week_start(world.today) - timedelta(days=7)


def test_a_visit_in_a_past_week_writes_that_weeks_presence_in_the_same_transaction(world, last_week):
    with transaction.atomic():
        visit(world, last_week)
        visit(world, last_week)  # the same day again
        visit(world, last_week + timedelta(days=1))
        row = presence_rows(world.school_a)[last_week]
        assert row.value == 40.0  # inside the transaction already
    assert (row.period_end, row.source, row.student_group) == (
        last_week + timedelta(days=4),
        "computed",
        "all",
    )
    assert row.supplied_by is None


@pytest.mark.portal_now("2026-11-27 20:30")  # a Friday evening: the week's Friday not yet past
def test_remote_visits_and_weeks_under_way_write_no_presence(world, last_week):
    visit(world, last_week, mode="remote")
    assert presence_rows(world.school_a)[last_week].value == 0.0
    visit(world, world.today)  # this week: not complete until the day is over
    assert week_start(world.today) not in presence_rows(world.school_a)


def test_no_presence_at_schools_without_a_contract_on_the_ground(world, last_week):
    visit(world, last_week, school=world.school_draft)
    assert presence_rows(world.school_draft) == {}


def test_editing_a_visit_into_another_week_refreshes_both_weeks_and_deleting_it_too(world, last_week):
    earlier = last_week - timedelta(days=7)
    v = visit(world, last_week)
    assert presence_rows(world.school_a)[last_week].value == 20.0
    v.visit_date = earlier
    v.save()
    rows = presence_rows(world.school_a)
    assert rows[last_week].value == 0.0 and rows[earlier].value == 20.0
    v.delete()
    assert presence_rows(world.school_a)[earlier].value == 0.0


def test_a_calendar_day_changes_the_weeks_expectation_and_a_closed_week_has_no_value(world, last_week):
    for offset in range(4):
        visit(world, last_week + timedelta(days=offset))
    assert presence_rows(world.school_a)[last_week].value == 80.0
    friday = NonSchoolDay.objects.create(
        district=world.district_a, date=last_week + timedelta(days=4), description="Teacher institute day"
    )
    assert presence_rows(world.school_a)[last_week].value == 100.0
    # Every school of the district follows, visited or not.
    other = world.contract_a.schools.exclude(pk=world.school_a.pk).first()
    assert presence_rows(other)[last_week].value == 0.0
    for offset in range(4):
        NonSchoolDay.objects.create(
            district=world.district_a, date=last_week + timedelta(days=offset), description="Break"
        )
    assert last_week not in presence_rows(world.school_a)
    friday.delete()
    assert presence_rows(world.school_a)[last_week].value == 0.0  # Friday is a school day again, unvisited


def test_a_visit_schedules_a_recompute_of_its_contract_after_the_commit(
    world, last_week, django_capture_on_commit_callbacks
):
    tasks._local.pending = None  # forget what setting up the world scheduled (its commits never ran)
    with (
        mock.patch.object(tasks.recompute_contracts, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        visit(world, last_week)
        assert not send.called
    send.assert_called_once()
    assert send.call_args.args[0] == ([world.contract_a.pk],)


def test_an_unchanged_week_is_not_rewritten_and_schedules_nothing(
    world, last_week, django_capture_on_commit_callbacks
):
    visit(world, last_week)
    before = presence_rows(world.school_a)[last_week].updated_at
    with mock.patch.object(presence, "schedule_recompute") as schedule:
        assert presence.refresh_presence([world.school_a.pk], last_week, last_week) == 0
    assert not schedule.called
    assert presence_rows(world.school_a)[last_week].updated_at == before


def test_the_engine_gives_presence_a_status_against_its_target(world, last_week):
    Target.objects.create(
        contract=world.contract_a,
        indicator=indicator("field_presence_rate"),
        contract_year=2,
        school=world.school_a,
        baseline=None,
        target=80.0,
    )
    for offset in range(5):
        visit(world, last_week + timedelta(days=offset))
    for offset in range(3):
        visit(world, last_week - timedelta(days=7) + timedelta(days=offset))
    engine.recompute_contracts([world.contract_a.pk], as_of=world.today)
    status = IndicatorStatus.objects.get(
        contract=world.contract_a, indicator__code="field_presence_rate", school=world.school_a
    )
    assert status.value == pytest.approx(80.0)  # the mean of 100% and 60%
    assert status.status == "met"


def test_the_command_rebuilds_a_range_with_zero_for_weeks_without_visits(world, last_week, capsys):
    visit(world, last_week)
    Measurement.objects.filter(indicator__code="field_presence_rate").delete()
    first = last_week - timedelta(days=14)
    call_command("rebuild_presence", "--from", first.isoformat(), "--to", world.today.isoformat())
    rows = presence_rows(world.school_a)
    assert [rows[first + timedelta(days=7 * k)].value for k in range(3)] == [0.0, 0.0, 20.0]
    # Up to the last complete week: last week on a weekday, this week too once its Friday is past.
    weeks = weeks_between(first, last_complete_week(world.today))
    assert list(rows) == weeks
    schools = world.contract_a.schools.count() + world.contract_c.schools.count()
    assert Measurement.objects.filter(indicator__code="field_presence_rate").count() == len(weeks) * schools
    assert "written or removed" in capsys.readouterr().out
    # Only the schools asked for; a second run changes nothing.
    call_command("rebuild_presence", "--from", first.isoformat(), "--school", world.school_a.state_id)
    assert "0 weekly values" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2025-13-01"], "not a date"),
        (["--school", "NOPE"], "No school"),
        (["--from", "2025-03-01", "--to", "2025-02-01"], "after --to"),
    ],
)
def test_the_command_refuses_bad_arguments(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_presence", *args)


def test_the_nightly_refresh_writes_the_last_complete_week(world, last_week):
    result = refresh_recent_presence.apply().get()
    # The weeks of the last seven days whose Friday is past: last week, and this one at a weekend.
    weeks = weeks_between(last_week, last_complete_week(world.today))
    schools = world.contract_a.schools.count() + world.contract_c.schools.count()
    assert result["written"] == len(weeks) * schools
    assert list(presence_rows(world.school_a)) == weeks
    assert presence_rows(world.school_a)[last_week].value == 0.0
