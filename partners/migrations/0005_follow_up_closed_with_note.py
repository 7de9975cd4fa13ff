from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_closing_note_for_follow_ups_already_done")]
    operations = [
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.CheckConstraint(
                condition=models.Q(("done_on__isnull", True), models.Q(("closing_note", ""), _negated=True), _connector="OR"),
                name="follow_up_closed_with_note",
            ),
        ),
    ]
