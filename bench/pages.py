"""Server time of the pages district and state staff live on, with 1,000 contracts, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/turnaround_bench_pages python -m bench.pages

Builds (once, then reuses) in its own database: one state of 5 districts, 4,000 schools, 1,000
contracts of 4 schools with 40 Lead Partners (start dates over the last five school years, most
active, some on probation, renewed, terminated, pre-launch or draft), 10 indicators with monthly
values for 36 months (1.44 million measurements), cluster-wide targets for every contract,
indicator and year and school targets for attendance, annual reviews with some missing, and the
indicator engine's statuses. Then it requests each page through Django's test client, as a state
staff member who sees all 1,000 contracts (and a district staff member who sees 200), and prints
the median server time of several requests and the number of queries of each.

It ends with one line: bench pages: name=ms ...
"""

import os
import statistics
import sys
import time
from datetime import date
from urllib.parse import urlparse

from bench.recompute import (
    ensure_database,
    first_month,
    insert_cluster_memberships,
    insert_cluster_targets,
    insert_monthly_measurements,
    setup_django,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/turnaround_bench_pages"
SCHOOLS_PER_CONTRACT = 4
CONTRACTS = 1000
PARTNERS = 40
MONTHS = 36
RUNS = 15
PDF_RUNS = 3
INDICATORS = [
    "attendance_rate",
    "chronic_absence_rate",
    "discipline_incidents",
    "violent_incidents",
    "enrolment",
    "teacher_retention_rate",
    "formative_assessment_proficiency",
    "ela_proficiency",
    "math_proficiency",
    "state_index_score",
]
PARAMETERS = f"contracts={CONTRACTS};schools={CONTRACTS * SCHOOLS_PER_CONTRACT};months={MONTHS};v1"


def build(as_of):
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_pages_marker (parameters text, as_of date)")
        cursor.execute("SELECT parameters, as_of FROM bench_pages_marker")
        row = cursor.fetchone()
        if row and row[0] == PARAMETERS and row[1] == as_of:
            print(f"data set: reusing the one built for {PARAMETERS}")
            return
    started = time.perf_counter()
    print(f"data set: building {PARAMETERS} ...", flush=True)
    schools = CONTRACTS * SCHOOLS_PER_CONTRACT
    sy = as_of.year if as_of.month >= 7 else as_of.year - 1
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE indicators_indicatorstatus, indicators_contractperformance, indicators_measurement, "
            "contracts_target, contracts_contractreview, contracts_contractschool, "
            "contracts_contractstatuschange, contracts_contractautonomy, contracts_contractresponsibility, "
            "contracts_prelaunchchecklistitem, contracts_historicalperformancecontract, "
            "contracts_historicaltarget, contracts_performancecontract, schools_clustermembership, "
            "schools_cluster, schools_school, schools_district, schools_state, partners_selfauditanswer, "
            "partners_selfaudit, partners_organization, turnaround_userprofile CASCADE"
        )
        cursor.execute("INSERT INTO schools_state (code, name) VALUES ('ZP', 'Bench State') RETURNING id")
        state_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO schools_district (state_id, name) SELECT %s, 'District ' || d FROM generate_series(1, 5) d",
            [state_id],
        )
        cursor.execute(
            """INSERT INTO schools_school (district_id, state_id, name, level, grade_low, grade_high, enrolment, address)
               SELECT (SELECT min(id) FROM schools_district) + (s - 1) * 5 / %s, 'ZP-' || lpad(s::text, 5, '0'),
                      'School ' || s, 'elementary', 0, 5, 200 + (s * 37) %% 800, ''
               FROM generate_series(1, %s) s""",
            [schools, schools],
        )
        cursor.execute(
            "INSERT INTO partners_organization (name, short_name, kind, website, description, "
            "visit_edit_window_days) "
            "SELECT 'Partner ' || p, 'P' || p, 'school_management', '', '', 7 FROM generate_series(1, %s) p",
            [PARTNERS],
        )
        cursor.execute(
            """INSERT INTO schools_cluster (district_id, name)
               SELECT (SELECT min(id) FROM schools_district) + (c - 1) * 5 / %s, 'Cluster ' || c
               FROM generate_series(1, %s) c""",
            [CONTRACTS, CONTRACTS],
        )
        insert_cluster_memberships(cursor, SCHOOLS_PER_CONTRACT)
        # Five-year contracts starting on 1 July of the last five school years (and some next July:
        # pre-launch); most active, every tenth on probation, renewed, terminated or a draft.
        cursor.execute(
            """INSERT INTO contracts_performancecontract
                   (reference, name, district_id, authority, lead_partner_id, cluster_id, start_date, end_date,
                    ended_on, lifecycle_status, accountable_from_year, on_track_threshold, at_risk_threshold,
                    notes, created_at, updated_at)
               SELECT 'BP-' || n, 'Bench contract ' || n, c.district_id, 'district',
                      (SELECT min(id) FROM partners_organization) + n %% %s, c.id,
                      make_date(%s - y, 7, 1), make_date(%s - y + 5, 6, 30),
                      CASE WHEN n %% 10 = 3 THEN LEAST(make_date(%s - y, 7, 1) + 200, %s::date) END,
                      CASE WHEN y = -1 THEN 'pre_launch' WHEN n %% 10 = 1 THEN 'probation'
                           WHEN n %% 10 = 2 THEN 'renewed' WHEN n %% 10 = 3 THEN 'terminated'
                           WHEN n %% 50 = 4 THEN 'draft' ELSE 'active' END,
                      3, 0.75, 0.25, '', now(), now()
               FROM (SELECT id, district_id, substr(name, 9)::int AS n,
                            CASE WHEN substr(name, 9)::int %% 25 = 0 THEN -1 ELSE substr(name, 9)::int %% 5 END AS y
                     FROM schools_cluster) c""",
            [PARTNERS, sy, sy, sy, as_of],
        )
        cursor.execute(
            """INSERT INTO contracts_contractschool (contract_id, school_id, in_force)
               SELECT pc.id, m.school_id, pc.lifecycle_status IN ('pre_launch', 'active', 'probation', 'renewed')
               FROM contracts_performancecontract pc
               JOIN schools_clustermembership m ON m.cluster_id = pc.cluster_id"""
        )
        insert_monthly_measurements(
            cursor, INDICATORS, first_month(as_of, MONTHS), date(as_of.year, as_of.month, 1)
        )
        insert_cluster_targets(cursor, INDICATORS)
        cursor.execute(
            """INSERT INTO contracts_target (contract_id, indicator_id, contract_year, school_id, baseline, target)
               SELECT cs.contract_id, i.id, y, cs.school_id, 45, 47 + 3 * y
               FROM contracts_contractschool cs CROSS JOIN indicators_indicator i CROSS JOIN generate_series(1, 5) y
               WHERE i.code = 'attendance_rate'"""
        )
        # Annual reviews of the years over, but every seventh contract missed its last one.
        cursor.execute(
            """INSERT INTO contracts_contractreview (contract_id, contract_year, review_date, findings, recommendation)
               SELECT pc.id, y, (pc.start_date + make_interval(years => y::int) + interval '20 days')::date,
                      'Reviewed.', 'continue'
               FROM contracts_performancecontract pc
               CROSS JOIN generate_series(1, 5) y
               WHERE pc.start_date + make_interval(years => y::int) + interval '20 days' < %s
                 AND NOT (pc.id %% 7 = 0 AND pc.start_date + make_interval(years => y::int + 1) > %s)""",
            [as_of, as_of],
        )
        cursor.execute("DELETE FROM bench_pages_marker")
        cursor.execute("INSERT INTO bench_pages_marker VALUES (%s, %s)", [PARAMETERS, as_of])
    self_audits()
    from indicators import engine

    recompute_started = time.perf_counter()
    engine.recompute_all(as_of)
    print(f"  statuses: computed in {time.perf_counter() - recompute_started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data set: built in {time.perf_counter() - started:.0f} s", flush=True)


def self_audits():
    from partners.models import Organization, SelfAudit, SelfAuditAnswer, SelfAuditItem

    items = list(SelfAuditItem.objects.all())
    for number, organization in enumerate(Organization.objects.all()):
        audit = SelfAudit.objects.create(organization=organization, completed_on=date(2024, 1, 10))
        SelfAuditAnswer.objects.bulk_create(
            SelfAuditAnswer(audit=audit, item=item, answer=("yes", "partly", "no")[(number + i) % 3])
            for i, item in enumerate(items)
        )


def users():
    from django.contrib.auth import get_user_model

    from schools.models import District, State
    from turnaround.models import Role, UserProfile

    made = {}
    for username, role, body in [
        ("bench-state", Role.STATE_STAFF, {"state": State.objects.get(code="ZP")}),
        ("bench-district", Role.DISTRICT_STAFF, {"district": District.objects.order_by("pk").first()}),
    ]:
        user, _ = get_user_model().objects.get_or_create(username=username)
        UserProfile.objects.update_or_create(user=user, defaults={"role": role, **body})
        made[username] = user
    return made


def time_page(client, url, runs=RUNS, headers=None):
    """(median ms, queries) of GET url; streamed content is read to the end."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            for _ in response.streaming_content:
                pass
        return response

    get()  # warm: templates compiled, connection open
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        get()
    return statistics.median(times), len(captured)


def main():
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if "bench" not in urlparse(os.environ["DATABASE_URL"]).path:
        # The data set replaces the database's contents: never point it at a real one.
        sys.exit("bench: DATABASE_URL must name a benchmark database (e.g. turnaround_bench_pages)")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DEBUG"] = "false"
    ensure_database()
    setup_django()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from contracts.models import PerformanceContract
    from partners.models import Organization

    as_of = timezone.localdate()
    build(as_of)
    people = users()
    # As through the TLS proxy of a deployment: production settings redirect plain HTTP to HTTPS.
    state_client, district_client = (
        Client(HTTP_X_FORWARDED_PROTO="https"),
        Client(HTTP_X_FORWARDED_PROTO="https"),
    )
    state_client.force_login(people["bench-state"])
    district_client.force_login(people["bench-district"])
    partner = Organization.objects.annotate(n=Count("contracts")).order_by("-n", "pk").first()
    contract = PerformanceContract.objects.filter(lifecycle_status="active").order_by("pk").first()
    school = contract.schools.order_by("pk").first()
    home = reverse("home")
    pages = [
        ("dashboard", state_client, home, RUNS),
        ("dashboard_filtered", state_client, f"{home}?lifecycle_status=active&phase=year_2&sort=name", RUNS),
        ("dashboard_search", state_client, f"{home}?q=School+12", RUNS),
        ("dashboard_page_30", state_client, f"{home}?sort=partner&page=30", RUNS),
        ("dashboard_district", district_client, home, RUNS),
        ("dashboard_attention", state_client, reverse("dashboard:attention"), RUNS),
        ("presence_alert", state_client, reverse("partners:presence_alert"), RUNS),
        (
            "dashboard_htmx_filter",
            state_client,
            f"{home}?performance_status=off_track",
            RUNS,
            {"HX-Request": "true"},
        ),
        ("school", state_client, reverse("schools:detail", args=[school.pk]), RUNS),
        ("partner", state_client, reverse("partners:detail", args=[partner.pk]), RUNS),
        ("contract", state_client, reverse("contracts:detail", args=[contract.pk]), RUNS),
        ("contract_list", state_client, reverse("contracts:list"), RUNS),
        ("values", state_client, reverse("indicators:measurements"), RUNS),
        (
            "values_of_contract",
            state_client,
            f"{reverse('indicators:measurements')}?contract={contract.pk}",
            RUNS,
        ),
        ("csv_all", state_client, reverse("dashboard:export_csv"), 5),
        ("evidence_pack_pdf", state_client, reverse("dashboard:evidence_pack", args=[contract.pk]), PDF_RUNS),
    ]
    print(
        f"{PerformanceContract.objects.count()} contracts; as {people['bench-state'].username} "
        f"(all of them) and {people['bench-district'].username} "
        f"({PerformanceContract.objects.visible_to(people['bench-district']).count()}); "
        f"school {school.pk} has {school.measurements.count()} measurements; "
        f"partner {partner} holds {partner.n} contracts"
    )
    results = {}
    for name, client, url, runs, *headers in pages:
        median, queries = time_page(client, url, runs, headers[0] if headers else {})
        results[name] = median
        print(f"{name:20s} {median:8.1f} ms  {queries:3d} queries  {url}", flush=True)
    print("bench pages: " + " ".join(f"{name}={ms:.1f}" for name, ms in results.items()))
    slow = [n for n in results if not n.startswith(("evidence", "csv")) and results[n] >= 100]
    if slow:
        print(f"goal MISSED: pages under 100 ms ({', '.join(slow)})")
        sys.exit(1)
    print("goal held: every page under 100 ms of server time")


if __name__ == "__main__":
    main()
