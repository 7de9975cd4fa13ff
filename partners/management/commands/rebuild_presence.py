from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from partners import presence
from schools.models import School


def iso_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.") from error


class Command(BaseCommand):
    help = (
        "Recompute the weekly field presence measurements (indicator field_presence_rate) from the "
        "visits and the district calendars, for the ISO weeks of a date range, of every school under a "
        "contract on the ground (or of --school). Weeks with no visit get 0%; weeks without school days "
        "get no value. The affected contracts' statuses are recomputed after."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="first",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="first day (default: 8 weeks ago)",
        )
        parser.add_argument(
            "--to", dest="last", type=iso_date, metavar="YYYY-MM-DD", help="last day (default: today)"
        )
        parser.add_argument(
            "--school",
            action="append",
            dest="schools",
            metavar="STATE_ID",
            help="a school's state/NCES id; repeat for several",
        )

    def handle(self, *args, first=None, last=None, schools=None, **options):
        today = timezone.localdate()
        last = last or today
        first = first or last - timedelta(weeks=8)
        if first > last:
            raise CommandError("--from is after --to.")
        school_ids = None
        if schools:
            found = dict(School.objects.filter(state_id__in=schools).values_list("state_id", "pk"))
            missing = sorted(set(schools) - set(found))
            if missing:
                raise CommandError(f"No school with the id {', '.join(missing)}.")
            school_ids = list(found.values())
        with transaction.atomic():
            written = presence.rebuild_presence(first, last, school_ids=school_ids, today=today)
        self.stdout.write(
            f"Field presence from {presence.week_start(first)} to {min(last, today)}: "
            f"{written} weekly value{'s' if written != 1 else ''} written or removed."
        )
