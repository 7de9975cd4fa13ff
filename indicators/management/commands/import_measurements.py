from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from indicators.imports import import_measurements
from indicators.models import ImportStatus


class Command(BaseCommand):
    help = (
        "Import measurements from a CSV or XLSX file (columns school_id, indicator, period_start, "
        "period_end, value): all rows or none. Exits non-zero when the file is rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the username the values are supplied by")

    def handle(self, *args, file, user, **options):
        try:
            uploader = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user {user!r}.") from error
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        with file.open("rb") as handle:
            record = import_measurements(handle, file.name, uploader, channel="command")
        if record.status == ImportStatus.APPLIED:
            self.stdout.write(
                f"{file.name}: {record.rows_total} rows, {record.rows_created} new, "
                f"{record.rows_updated} updated, {record.rows_unchanged} unchanged (import #{record.pk})."
            )
            return
        for error in record.errors:
            where = f"line {error['line']}" if error.get("line") else "file"
            column = f" [{error['column']}]" if error.get("column") else ""
            self.stderr.write(f"{where}{column}: {error['message']}")
        raise CommandError(f"{file.name} rejected: nothing imported (import #{record.pk}).")
