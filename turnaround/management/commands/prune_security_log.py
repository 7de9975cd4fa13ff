from django.core.management.base import BaseCommand

from turnaround.security import prune, retention_days


class Command(BaseCommand):
    help = (
        "Remove the security log's entries older than SECURITY_LOG_RETENTION_DAYS (the nightly task "
        "does the same). Nothing else ever deletes from the log."
    )

    def handle(self, *args, **options):
        removed = prune()
        self.stdout.write(f"Security log: {removed} entries older than {retention_days()} days removed.")
