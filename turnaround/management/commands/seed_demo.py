from collections import Counter

from django.core.management.base import BaseCommand

from contracts.models import PerformanceContract
from indicators.models import IndicatorStatus, Measurement
from schools.models import School
from turnaround.demo import PASSWORD, USERS_TABLE, DemoBuilder


class Command(BaseCommand):
    help = "Build (or bring up to date) the demo portal: real cases of the source documents, demo users."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any contract exists")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and PerformanceContract.objects.exists():
            self.stdout.write("The database has contracts already: demo data not loaded.")
            return
        contracts = DemoBuilder().build()
        by_status = Counter(
            c.lifecycle_status for c in PerformanceContract.objects.filter(pk__in=[c.pk for c in contracts])
        )
        self.stdout.write(self.style.SUCCESS("Demo portal ready."))
        self.stdout.write(
            f"  {len(contracts)} contracts ({', '.join(f'{n} {s}' for s, n in sorted(by_status.items()))}), "
            f"{School.objects.count()} schools, {Measurement.objects.count()} measurements, "
            f"{IndicatorStatus.objects.count()} indicator statuses"
        )
        self.stdout.write(f"\nDemo users (password for all: {PASSWORD}):")
        for username, role, sees in USERS_TABLE:
            self.stdout.write(f"  {username:<9} {role:<58} sees {sees}")
