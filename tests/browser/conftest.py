"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, so Django would refuse ORM calls made
from the test itself (SynchronousOnlyOperation); allowed here, for the browser tests only."""

import os
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands

from tests.conftest import skip_or_fail

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
DEMO_PASSWORD = "demo-password"
DEMO_USERS = ["district", "state", "partner", "field", "admin"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


def load_demo_data():
    """The demo data and users of `manage.py seed_demo`; until that command exists, the same
    shape built with the factories."""
    if "seed_demo" in get_commands():
        call_command("seed_demo")
    else:
        build_demo_data_with_factories()


def build_demo_data_with_factories():
    from django.contrib.auth import get_user_model

    from tests.factories import (
        ClusterFactory,
        ContractFactory,
        DistrictFactory,
        OrganizationFactory,
        StateFactory,
        UserFactory,
        user_with_role,
    )
    from turnaround.models import Role

    illinois, ohio = StateFactory(code="IL", name="Illinois"), StateFactory(code="OH", name="Ohio")
    springfield = DistrictFactory(state=illinois, name="Springfield Public Schools")
    riverton = DistrictFactory(state=illinois, name="Riverton Unified")
    lakeside = DistrictFactory(state=ohio, name="Lakeside City Schools")
    pioneer = OrganizationFactory(name="Pioneer Schools Network", short_name="Pioneer")
    beacon = OrganizationFactory(name="Beacon Learning Partners", short_name="Beacon")

    def contract(name, district, partner, status, schools=3, start_year=2023):
        """A 5-year contract starting on 1 July."""
        ContractFactory(
            name=name,
            district=district,
            lead_partner=partner,
            cluster=ClusterFactory(district=district, name=f"{name} cluster", schools=schools),
            start_date=date(start_year, 7, 1),
            end_date=date(start_year + 5, 6, 30),
            lifecycle_status=status,
        )

    contract("Springfield East Partnership", springfield, pioneer, "active")
    contract("Springfield North Renewal", springfield, beacon, "probation", schools=4)
    contract("Springfield West Launch", springfield, pioneer, "pre_launch", start_year=2027)
    contract("Riverton Feeder Pattern", riverton, pioneer, "draft", schools=1, start_year=2026)
    contract("Lakeside Turnaround Zone", lakeside, beacon, "active", schools=5)

    users = [
        user_with_role(Role.DISTRICT_STAFF, springfield, username="district", first_name="Dana"),
        user_with_role(Role.STATE_STAFF, illinois, username="state", first_name="Sam"),
        user_with_role(Role.PARTNER_PROGRAM, pioneer, username="partner", first_name="Pat"),
        user_with_role(Role.PARTNER_FIELD, pioneer, username="field", first_name="Frankie"),
        UserFactory(username="admin", is_superuser=True, is_staff=True),
    ]
    for user in users:
        user.set_password(DEMO_PASSWORD)
        user.save()
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == sorted(DEMO_USERS)
