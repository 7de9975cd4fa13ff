"""The indicator catalog: the seed's leading and lagging indicators."""

from django.db import migrations

# code, name, kind, unit, direction, aggregation, min, max, description
INDICATORS = [
    ("attendance_rate", "Attendance rate", "leading", "percent", "higher", "mean", 0, 100,
     "Share of enrolled student-days attended."),
    ("chronic_absence_rate", "Chronic absence rate", "leading", "percent", "lower", "last", 0, 100,
     "Share of students missing 10% or more of school days, to date."),
    ("days_absent_per_student", "Days absent per student", "leading", "days", "lower", "sum", 0, 200,
     "Average days absent per enrolled student."),
    ("discipline_incidents", "Discipline incidents", "leading", "count", "lower", "sum", 0, None,
     "Recorded disciplinary incidents (suspensions and referrals)."),
    ("violent_incidents", "Violent incidents", "leading", "count", "lower", "sum", 0, None,
     "Recorded violent incidents."),
    ("enrolment", "Enrolment", "leading", "count", "higher", "last", 0, None,
     "Students enrolled; funding follows enrolment."),
    ("student_turnover_rate", "Student turnover", "leading", "percent", "lower", "last", 0, 100,
     "Share of students who left during the year."),
    ("teacher_retention_rate", "Teacher retention", "leading", "percent", "higher", "last", 0, 100,
     "Share of teachers retained from the previous year."),
    ("staff_replaced_rate", "Staff replaced", "leading", "percent", "higher", "last", 0, 100,
     "Share of staff newly hired or reassigned at launch (the seed asks for at least 50%)."),
    ("formative_assessment_proficiency", "Formative assessment proficiency", "leading", "percent", "higher",
     "mean", 0, 100, "Share of students proficient on interim and formative assessments."),
    ("field_presence_rate", "Field staff presence", "leading", "percent", "higher", "mean", 0, 100,
     "Share of school days with an on-site Lead Partner field staff visit (5 days a week expected)."),
    ("ela_proficiency", "State test proficiency: reading/ELA", "lagging", "percent", "higher", "last", 0, 100,
     "Share of students at or above standard on the state reading/ELA test."),
    ("math_proficiency", "State test proficiency: math", "lagging", "percent", "higher", "last", 0, 100,
     "Share of students at or above standard on the state math test."),
    ("achievement_gap", "Achievement gap", "lagging", "points", "lower", "last", -100, 100,
     "Gap in proficiency (percentage points) between the school and the state average."),
    ("state_index_score", "State index score", "lagging", "score", "higher", "last", 0, 1000,
     "The state's accountability index (for example California's API, 200-1000)."),
    ("graduation_rate", "Graduation rate", "lagging", "percent", "higher", "last", 0, 100,
     "Four-year cohort graduation rate."),
    ("college_enrolment_rate", "College enrolment", "lagging", "percent", "higher", "last", 0, 100,
     "Share of graduates enrolled in college the following fall."),
]


def load(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    for order, row in enumerate(INDICATORS, start=1):
        code, name, kind, unit, direction, aggregation, low, high, description = row
        Indicator.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name, kind=kind, unit=unit, direction=direction, aggregation=aggregation,
                min_value=low, max_value=high, description=description, order=order,
            ),
        )


def unload(apps, schema_editor):
    apps.get_model("indicators", "Indicator").objects.filter(code__in=[r[0] for r in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
