"""Benchmark of field presence coverage at district scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/turnaround_presence_bench python -m bench.presence

Builds (once, then reuses) 1,000 schools in 10 districts under 250 active contracts of 4 schools,
each district with 10 non-school days, and 26 weeks of on-site and remote visits (an on-site visit
on about 80% of school days, a second one on some of them); then times:

(a) the coverage of all 1,000 schools over 26 weeks (one query: the heatmap of a state);
(b) a contract page's heatmap: 4 schools over 10 weeks (two queries);
(c) the presence refresh a visit write adds, inside its transaction (one school, one week);
(d) `rebuild_presence` of every school over the 26 weeks, from empty, then again unchanged.

It ends with one line:
bench presence: coverage_all_ms=A contract_grid_ms=G visit_refresh_ms=V rebuild_s=R rebuild_again_s=S
"""

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

SCHOOLS = 1000
DISTRICTS = 10
SCHOOLS_PER_CONTRACT = 4
WEEKS = 26
PARAMETERS = f"schools={SCHOOLS};districts={DISTRICTS};weeks={WEEKS};v1"


def setup_django():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnaround.settings")
    # Production settings (DEBUG off) refuse to start without a key; this one signs nothing that lasts.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-for-the-benchmark-database-0123456789abcdef")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(today):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from contracts.models import ContractSchool, PerformanceContract
    from partners.models import FieldVisit, Organization
    from partners.presence import week_start
    from schools.models import Cluster, District, NonSchoolDay, School, State

    if State.objects.filter(code="ZZ", name=PARAMETERS).exists():
        return
    print("bench: building the data set (once)...", flush=True)
    first_monday = week_start(today) - timedelta(weeks=WEEKS - 1)
    rng = random.Random(7)
    with transaction.atomic():
        state = State.objects.create(code="ZZ", name=PARAMETERS)
        partner = Organization.objects.create(name="Bench partner", kind="school_management")
        staff = get_user_model().objects.create(username="bench-field")
        districts = District.objects.bulk_create(
            [District(state=state, name=f"Bench district {d}") for d in range(DISTRICTS)]
        )
        schools = School.objects.bulk_create(
            [
                School(
                    district=districts[n % DISTRICTS],
                    state_id=f"BENCH{n:05d}",
                    name=f"Bench school {n:04d}",
                    level="elementary",
                    grade_low=0,
                    grade_high=5,
                    enrolment=400,
                )
                for n in range(SCHOOLS)
            ]
        )
        closed = {}
        for district in districts:
            days = set()
            while len(days) < 10:
                day = first_monday + timedelta(days=rng.randrange(WEEKS * 7))
                if day.weekday() < 5:
                    days.add(day)
            closed[district.pk] = days
            NonSchoolDay.objects.bulk_create(
                [NonSchoolDay(district=district, date=day, description="Holiday") for day in days]
            )
        start = date(today.year - 1, 7, 1)
        by_district = {}
        for school in schools:
            by_district.setdefault(school.district_id, []).append(school)
        n = 0
        for district_id, members in by_district.items():
            for i in range(0, len(members), SCHOOLS_PER_CONTRACT):
                group = members[i : i + SCHOOLS_PER_CONTRACT]
                cluster = Cluster.objects.create(district_id=district_id, name=f"Bench cluster {n}")
                contract = PerformanceContract.objects.create(
                    reference=f"BENCH-{n:04d}",
                    name=f"Bench contract {n}",
                    district_id=district_id,
                    lead_partner=partner,
                    cluster=cluster,
                    start_date=start,
                    end_date=date(start.year + 5, 6, 30),
                    lifecycle_status="active",
                )
                ContractSchool.objects.bulk_create(
                    [ContractSchool(contract=contract, school=s, in_force=True) for s in group]
                )
                n += 1
        visits = []
        for school in schools:
            for offset in range(WEEKS * 7):
                day = first_monday + timedelta(days=offset)
                if day.weekday() >= 5 or day > today:
                    continue
                roll = rng.random()
                if roll < 0.8 and day not in closed[school.district_id]:
                    visits.append(_visit(school, partner, staff, day, "on_site"))
                    if roll < 0.2:
                        visits.append(_visit(school, partner, staff, day, "on_site"))
                elif roll < 0.9:
                    visits.append(_visit(school, partner, staff, day, "remote"))
        FieldVisit.objects.bulk_create(visits, batch_size=5000)
        print(f"bench: {len(visits):,} visits", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _visit(school, partner, staff, day, mode):
    from partners.models import FieldVisit

    return FieldVisit(
        school=school,
        organization=partner,
        staff=staff,
        visit_date=day,
        mode=mode,
        duration_minutes=240,
        focus=["instructional_support"],
    )


def timed(fn, runs=5):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from indicators.models import Measurement
    from partners import presence
    from schools.models import School

    today = timezone.localdate()
    build(today)
    # The presence work alone: the recompute it schedules is the engine's, timed by bench.recompute.
    presence.schedule_recompute = lambda contract_ids: None
    school_ids = list(School.objects.filter(state_id__startswith="BENCH").values_list("pk", flat=True))
    last = presence.week_start(today)
    first = last - timedelta(weeks=WEEKS - 1)

    coverage_all = timed(lambda: presence.coverage(school_ids, first, last, today=today))
    four = School.objects.filter(pk__in=school_ids[:4])
    contract_grid = timed(lambda: presence.grid(four, weeks=10, today=today))

    def visit_refresh():
        with transaction.atomic():
            presence.refresh_presence(
                [school_ids[0]], last - timedelta(weeks=1), last - timedelta(weeks=1), today=today
            )
            transaction.set_rollback(True)

    visit_refresh()  # warm
    refresh = timed(visit_refresh)

    Measurement.objects.filter(indicator__code="field_presence_rate", school_id__in=school_ids).delete()

    def rebuild():
        with transaction.atomic():
            return presence.rebuild_presence(first, today, school_ids=school_ids, today=today)

    started = time.perf_counter()
    written = rebuild()
    rebuild_s = time.perf_counter() - started
    started = time.perf_counter()
    again = rebuild()
    rebuild_again_s = time.perf_counter() - started
    print(
        f"(a) coverage of {len(school_ids):,} schools x {WEEKS} weeks, one query: {coverage_all * 1000:.0f} ms"
    )
    print(f"(b) a contract page's heatmap (4 schools x 10 weeks): {contract_grid * 1000:.1f} ms")
    print(f"(c) the presence refresh of one visit write (one school, one week): {refresh * 1000:.1f} ms")
    print(
        f"(d) rebuild of every school's {WEEKS} weeks: {rebuild_s:.2f} s ({written:,} rows), unchanged: "
        f"{rebuild_again_s:.2f} s ({again} rows)"
    )
    print(
        f"bench presence: coverage_all_ms={coverage_all * 1000:.0f} contract_grid_ms={contract_grid * 1000:.1f} "
        f"visit_refresh_ms={refresh * 1000:.1f} rebuild_s={rebuild_s:.2f} rebuild_again_s={rebuild_again_s:.2f}"
    )


if __name__ == "__main__":
    main()
