"""schemathesis against the live server: every operation of the schema, with a token, generated
from the schema itself. No server error, and every response (status code, content type, headers,
body) as the schema describes it. Bounded in examples and time."""

import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.throttling import UserRateThrottle

from turnaround.tokens import issue_token

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


@pytest.mark.parametrize("role", ["admin", "district_a", "program_p"])
def test_every_operation_answers_as_the_schema_says(world, live_server, monkeypatch, role, tmp_path):
    # The run sends hundreds of requests a minute: lift the per-user rate for it.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "100000/hour"})
    _, token = issue_token(world.users[role], "schemathesis")
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "8",
        "--seed",
        "20261125",
        "--workers",
        "1",
        "--max-time",
        "25",
        "--request-timeout",
        "20",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    # In a scratch folder: schemathesis keeps its cache (crash replays) in the working directory.
    run = subprocess.run(command, capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout, run.stdout[-3000:]
