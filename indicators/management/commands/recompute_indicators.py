from datetime import date

from django.core.management.base import BaseCommand, CommandError

from contracts.models import PerformanceContract
from indicators import engine


class Command(BaseCommand):
    help = (
        "Recompute indicator statuses against contract targets, here and now (not through a worker). "
        "With --contract, only those contracts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--contract",
            type=int,
            action="append",
            dest="contracts",
            metavar="ID",
            help="a contract id; repeat for several (default: all contracts)",
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="compute as of this date (default: today)",
        )

    def handle(self, *args, contracts=None, as_of=None, **options):
        if contracts:
            found = set(PerformanceContract.objects.filter(pk__in=contracts).values_list("pk", flat=True))
            missing = sorted(set(contracts) - found)
            if missing:
                raise CommandError(f"No contract with id {', '.join(map(str, missing))}.")
            ids = sorted(found)
        else:
            ids = list(PerformanceContract.objects.order_by("pk").values_list("pk", flat=True))
        produced = engine.recompute_contracts(ids, as_of=as_of)
        self.stdout.write(f"Recomputed {len(ids)} contract(s): {produced} indicator status row(s).")
