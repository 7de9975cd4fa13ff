"""Follow-ups closed before closing notes existed get a note saying so (the next migration requires
one on every closed follow-up)."""

from django.db import migrations

NOTE = "Closed before closing notes were recorded."


def backfill(apps, schema_editor):
    FollowUp = apps.get_model("partners", "FollowUp")
    FollowUp.objects.filter(done_on__isnull=False, closing_note="").update(closing_note=NOTE)


class Migration(migrations.Migration):
    dependencies = [("partners", "0003_visit_times_people_corrections_follow_up_closing_edit_window")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
