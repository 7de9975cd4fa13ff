"""The demo shows field presence: visits, a district calendar, weekly presence values and the
Englewood contract's presence statuses."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from indicators.models import IndicatorStatus, Measurement
from partners.models import FieldVisit
from partners.presence import last_complete_week
from schools.models import NonSchoolDay
from tests.factories import ensure_catalogs
from turnaround.demo import DemoBuilder

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("today", [None, date(2027, 3, 1)], ids=["today", "spring"])
def test_the_demo_contract_shows_field_presence(today):
    ensure_catalogs()
    DemoBuilder(today=today).build()
    today = today or timezone.localdate()
    closed = set(
        NonSchoolDay.objects.filter(district__name="Chicago Public Schools").values_list("date", flat=True)
    )
    assert closed and not FieldVisit.objects.filter(visit_date__in=closed).exists()
    rows = Measurement.objects.filter(indicator__code="field_presence_rate")
    assert rows.exists() and set(rows.values_list("source", flat=True)) == {"computed"}
    assert rows.filter(period_start__lte=last_complete_week(today)).count() == rows.count()
    statuses = IndicatorStatus.objects.filter(
        contract__reference="CPS-LP-ENGLEWOOD", indicator__code="field_presence_rate"
    ).exclude(status="no_data")
    assert {s.school.name.split()[0] for s in statuses} == {"Sherman", "Harvard"}
    assert all(0 < s.value <= 100 and s.target == 80.0 for s in statuses)
    # Visits reach back over the heatmap's ten weeks.
    assert FieldVisit.objects.filter(visit_date__lt=today - timedelta(weeks=8)).exists()
