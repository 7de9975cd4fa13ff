from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from contracts.models import PerformanceContract
from indicators.models import IndicatorStatus, Measurement
from schools.models import School
from turnaround.demo import PASSWORD, USERS_TABLE, DemoBuilder


class Command(BaseCommand):
    help = (
        "Build, or bring up to date, the demo portal: the source documents' real cases (AUSL, Mastery, "
        "Green Dot, Friendship), a terminated and a pre-launch contract, their data, and demo users. "
        "One transaction; running it again on the same day changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database has any contract"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=(
                "run even with DEBUG off (production settings): it creates, or resets the password "
                "of, the demo users, among them the superuser admin, all with a published password"
            ),
        )

    def handle(self, *args, if_empty=False, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            # The demo users' password is printed below and in the README: on a production database
            # it would open the superuser `admin` to anyone.
            raise CommandError(
                "seed_demo refused: DEBUG is off, so this looks like a production database, and "
                f"seed_demo would create or reset the superuser 'admin' with the published password "
                f"'{PASSWORD}'. For a demo or test server run it with --allow-production; for local "
                "development set DEBUG=true (make demo does)."
            )
        if if_empty and PerformanceContract.objects.exists():
            self.stdout.write("seed_demo --if-empty: the database has contracts already; nothing done.")
            return
        builder = DemoBuilder()
        builder.build()
        today = builder.today
        contracts = list(PerformanceContract.objects.select_related("lead_partner").order_by("start_date"))
        statuses = Counter(c.lifecycle_status for c in contracts)
        self.stdout.write(self.style.SUCCESS(f"Demo portal ready (as of {today:%Y-%m-%d})."))
        self.stdout.write(
            f"  contracts: {len(contracts)} ("
            + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            + f"); schools: {School.objects.count()}; measurements: {Measurement.objects.count()}; "
            f"indicator statuses: {IndicatorStatus.objects.count()}"
        )
        for contract in contracts:
            phase, year = contract.phase_on(today)
            self.stdout.write(
                f"  {contract.reference:<22} {contract.lifecycle_status:<11} {phase:<12} "
                f"{'year ' + str(year) if year else '':<7} {contract.name} ({contract.lead_partner})"
            )
        self.stdout.write(f"\nDemo users (password for all: {PASSWORD}):")
        self.stdout.write(f"  {'username':<9} {'password':<14} {'role':<40} sees")
        for username, role, sees in USERS_TABLE:
            self.stdout.write(f"  {username:<9} {PASSWORD:<14} {role:<40} {sees}")
