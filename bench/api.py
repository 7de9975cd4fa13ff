"""Benchmark of the REST API at state scale: gunicorn on loopback against the data set of
bench/recompute.py, in the same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/turnaround_bench python -m bench.api

Builds the data set if needed (bench.recompute's build), computes the statuses if there are none,
makes a district staff user with a token (the district holds 250 of the 1,250 contracts, 1,000
schools), starts gunicorn on a free loopback port and sends GET requests from CLIENTS threads for
DURATION seconds to each of: the contract list (first page of 50, with their schools and
performance status) and one contract's status endpoint (cycling over the district's contracts).
Prints each endpoint's cost in-process (median time, queries), then requests per second and
latency percentiles through gunicorn, and ends with one line:
bench api: contracts_rps=R contracts_p50_ms=.. contracts_p95_ms=.. contracts_p99_ms=.. status_rps=.. ...
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.recompute import as_of_date, build, ensure_database, setup_django

WORKERS = 2  # gunicorn processes: one per core of the machine
CLIENTS = 4  # concurrent client threads (they share the 2 cores with the server)
WARMUP = 30  # requests per endpoint before measuring
DURATION = 15.0  # seconds of measurement per endpoint
MAX_REQUESTS = 20_000  # and at most this many requests per endpoint
BENCH_USER = "bench-api-district"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(as_of):
    """(token, [contract ids of the district]) with statuses computed."""
    from django.contrib.auth import get_user_model

    from contracts.models import PerformanceContract
    from indicators import engine
    from indicators.models import IndicatorStatus
    from schools.models import District
    from turnaround.models import ApiToken, Role, UserProfile
    from turnaround.tokens import issue_token

    contract_ids = list(PerformanceContract.objects.order_by("pk").values_list("pk", flat=True))
    if not IndicatorStatus.objects.exists():
        started = time.perf_counter()
        engine.recompute_contracts(contract_ids, as_of=as_of)
        print(f"statuses: computed in {time.perf_counter() - started:.1f} s", flush=True)
    district = District.objects.order_by("pk").first()
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    UserProfile.objects.update_or_create(
        user=user, defaults={"role": Role.DISTRICT_STAFF, "district": district}
    )
    ApiToken.objects.filter(user=user).delete()
    _, token = issue_token(user, "bench")
    ids = list(
        PerformanceContract.objects.filter(district=district).order_by("pk").values_list("pk", flat=True)
    )
    return token, ids


def start_server(port):
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # The benchmark's one user sends far more than a real client may.
        "API_USER_RATE": "100000000/hour",
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "turnaround.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("bench api: gunicorn did not start")


def get(port, path, token):
    """(status, seconds, body bytes) of one GET on a new connection (gunicorn's sync workers
    close each connection after its response)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # X-Forwarded-Proto as the TLS proxy of a deployment sets it: production settings redirect plain HTTP.
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "X-Forwarded-Proto": "https"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, time.perf_counter() - started, body


def load(port, paths, token):
    """Send GETs from CLIENTS threads for DURATION seconds; (latencies, errors, elapsed)."""
    for i in range(WARMUP):
        get(port, paths[i % len(paths)], token)
    latencies, errors, lock = [], [], threading.Lock()
    stop_at = time.perf_counter() + DURATION
    counter = iter(range(MAX_REQUESTS))

    def client():
        for n in counter:
            if time.perf_counter() >= stop_at:
                return
            status, seconds, _ = get(port, paths[n % len(paths)], token)
            with lock:
                (latencies if status == 200 else errors).append(seconds if status == 200 else status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def in_process(paths, token, runs=20):
    """(median ms, SELECT queries) of one request handled in this process by Django's test
    client: the server's own cost, without HTTP, gunicorn or competing clients."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_FORWARDED_PROTO="https")
    client.get(paths[0])
    times = []
    for n in range(runs):
        started = time.perf_counter()
        response = client.get(paths[n % len(paths)])
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as captured:
        client.get(paths[0])
    selects = sum(1 for q in captured.captured_queries if q["sql"].startswith("SELECT"))
    return statistics.median(times) * 1000, selects


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ensure_database()
    setup_django()
    as_of = as_of_date()
    build(as_of)
    token, contract_ids = prepare(as_of)
    port = free_port()
    server = start_server(port)
    figures = {}
    try:
        status, _, body = get(port, "/api/v1/contracts/", token)
        assert status == 200, body[:500]
        listed = json.loads(body)
        status, _, body = get(port, f"/api/v1/contracts/{contract_ids[0]}/status/", token)
        assert status == 200, body[:500]
        print(
            f"server: gunicorn, {WORKERS} sync workers on 127.0.0.1:{port}; {CLIENTS} client threads, "
            f"{DURATION:.0f} s per endpoint; user: district staff seeing {listed['count']} contracts; "
            f"a status has {len(json.loads(body)['indicators'])} indicator rows",
            flush=True,
        )
        endpoints = {
            "contracts": ["/api/v1/contracts/"],
            "status": [f"/api/v1/contracts/{pk}/status/" for pk in contract_ids],
        }
        for name, paths in endpoints.items():
            ms, selects = in_process(paths, token)
            print(
                f"{name:9} in process (Django test client): {ms:.1f} ms a request (median), {selects} queries"
            )
        for name, paths in endpoints.items():
            latencies, errors, elapsed = load(port, paths, token)
            if errors or not latencies:
                sys.exit(f"bench api: {name}: {len(errors)} failed requests (statuses {sorted(set(errors))})")
            rps = len(latencies) / elapsed
            p50, p95, p99 = (percentile(latencies, p) * 1000 for p in (50, 95, 99))
            figures[name] = (rps, p50, p95, p99)
            print(
                f"{name:9} {paths[0]:<34} {len(latencies):6,} requests in {elapsed:.1f} s: {rps:7.1f} req/s, "
                f"p50 {p50:6.1f} ms, p95 {p95:6.1f} ms, p99 {p99:6.1f} ms (mean {statistics.mean(latencies) * 1000:.1f})",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(
        "bench api: "
        + " ".join(
            f"{name}_rps={rps:.1f} {name}_p50_ms={p50:.1f} {name}_p95_ms={p95:.1f} {name}_p99_ms={p99:.1f}"
            for name, (rps, p50, p95, p99) in figures.items()
        )
    )


if __name__ == "__main__":
    main()
