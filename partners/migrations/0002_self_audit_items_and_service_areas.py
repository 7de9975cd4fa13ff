"""The seed's self-audit for potential Lead Partners, and the service areas states vet
priority partners for."""

from django.db import migrations

SELF_AUDIT = [
    ("experience", "results_high_poverty", "Experience achieving results with high-poverty student populations"),
    ("experience", "turnaround_environment", "Experience working in a school turnaround environment"),
    ("experience", "high_schools", "Experience working in high schools"),
    ("willingness", "unionized_staff", "Willing to work with unionized teaching staff (under modified contracts)"),
    ("willingness", "accountable", "Willing to be held accountable for student performance"),
    ("willingness", "district_procedures", "Willing to operate under some but not most district procedures and regulations"),
    ("willingness", "central_services", "Willing to use some but not all district central office services"),
    ("readiness", "ramp_up", "Ready to ramp up capacity quickly"),
    ("readiness", "modify_model", "Ready to modify an existing school model for a turnaround environment"),
    ("readiness", "new_location", "Ready to open or expand operations in a new location"),
    ("readiness", "capital", "Has excess cash or the ability to raise capital quickly"),
    ("competencies", "school_model", "Can design a comprehensive school model (instruction, socio-emotional supports, co-curriculars)"),
    ("competencies", "culture", "Can transform the existing culture into a positive learning environment"),
    ("competencies", "community_engagement", "Can execute a full community engagement plan"),
    ("competencies", "central_office", "Can work collaboratively with district central office staff"),
    ("competencies", "school_leader", "Can identify and develop a strong school leader"),
    ("competencies", "teaching_staff", "Can recruit and develop effective teaching staff"),
    ("competencies", "multiple_schools", "Can manage multiple schools simultaneously"),
    ("competencies", "operations", "Can handle school operations, including supporting partner contract management"),
]

SERVICE_AREAS = [
    ("human_capital", "Human resources and staffing"),
    ("learning_time", "Expanded learning time"),
    ("social_emotional_health", "Students' social, emotional and health needs"),
    ("climate_culture", "School climate and culture"),
    ("curriculum_instruction", "Curriculum and instruction"),
    ("data_assessment", "Data and assessment"),
    ("leadership", "School leadership development"),
    ("whole_school_turnaround", "Whole-school turnaround (Lead Partner)"),
]


def load(apps, schema_editor):
    SelfAuditItem = apps.get_model("partners", "SelfAuditItem")
    ServiceArea = apps.get_model("partners", "ServiceArea")
    for order, (area, code, text) in enumerate(SELF_AUDIT, start=1):
        SelfAuditItem.objects.update_or_create(code=code, defaults=dict(area=area, text=text, order=order))
    for code, name in SERVICE_AREAS:
        ServiceArea.objects.update_or_create(code=code, defaults=dict(name=name))


def unload(apps, schema_editor):
    apps.get_model("partners", "SelfAuditItem").objects.filter(code__in=[r[1] for r in SELF_AUDIT]).delete()
    apps.get_model("partners", "ServiceArea").objects.filter(code__in=[r[0] for r in SERVICE_AREAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
