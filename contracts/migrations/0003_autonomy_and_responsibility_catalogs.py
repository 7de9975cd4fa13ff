"""The seed's autonomy catalog (people, time, money, program) and its district / Lead Partner
responsibility table. Items the seed says either side could own start undecided."""

from django.db import migrations

AUTONOMIES = [
    ("choose_principal", "people", "Choose or confirm the principal"),
    ("reassign_staff", "people", "Reassign at least 50% of staff (possibly up to 100%)"),
    ("modified_cba", "people", "Modified collective bargaining agreement with more flexible union conditions"),
    ("manage_professional_development", "people", "Manage professional development processes"),
    ("additional_compensation", "people", "Offer additional compensation for extended time or hard-to-staff schools"),
    ("extended_time", "time", "Extended school time (longer school day and/or year)"),
    ("control_schedule", "time", "Control over the school schedule"),
    ("planning_time", "time", "Time for professional development and common teacher planning"),
    ("launch_planning_time", "time", "Time to plan the launch before school starts"),
    ("time_before_accountability", "time", "Time before the Lead Partner is held accountable for results"),
    ("control_funding", "money", "Control over school-level per-pupil funding and the school share of central office budget"),
    ("streamlined_procurement", "money", "Streamlined procurement processes"),
    ("control_school_design", "program", "Control of school design: instructional framework, socio-emotional support, ..."),
    ("select_supporting_partners", "program", "Selection and management of supporting partners"),
    ("choose_central_services", "program", "Choice over the use of district central office services"),
]

# code, area, text, default owner ("undecided" where the seed says either side)
RESPONSIBILITIES = [
    ("curricula", "instruction", "Identify and/or develop curricula", "undecided"),
    ("instructional_framework", "instruction", "Set the instructional framework", "lead_partner"),
    ("instructional_resources", "instruction", "Assure adequate instructional resources (e.g. library content)", "lead_partner"),
    ("professional_development", "instruction", "Provide professional development to instructional staff and school leader", "lead_partner"),
    ("licensed_professionals", "support_services", "Hire key licensed professionals (speech pathologists, nurses, guidance counselors)", "district"),
    ("social_workers", "support_services", "Ensure the presence of social workers for students and families", "lead_partner"),
    ("transportation", "campus_operations", "Provide transportation", "district"),
    ("food_services", "campus_operations", "Provide food services", "district"),
    ("security", "campus_operations", "Provide security and monitoring for the campus", "district"),
    ("oversee_campus_operations", "campus_operations", "Oversee all campus operations", "lead_partner"),
    ("back_office", "campus_operations", "Back office functions (certification and special education compliance, state reporting, inventory, audits)", "lead_partner"),
    ("select_data", "it_data", "Select which data to collect in the district database", "undecided"),
    ("it_support", "it_data", "Provide IT support for desktops and laptops", "district"),
    ("data_systems", "it_data", "Build and maintain data systems", "district"),
    ("internal_assessments", "it_data", "Develop internal assessment exams", "lead_partner"),
    ("analyze_data", "it_data", "Analyze data", "lead_partner"),
    ("per_pupil_allocations", "finance", "Ensure each school receives its per-pupil allocations", "district"),
    ("school_budget", "finance", "Assist the principal in setting the school budget", "lead_partner"),
    ("design_facility", "facilities", "Design facility", "undecided"),
    ("secure_facilities", "facilities", "Secure facilities (acquisition and construction)", "district"),
    ("maintain_facilities", "facilities", "Maintain facilities", "district"),
    ("talent_pool", "human_resources", "Build the pool of qualified teachers and leaders in the district", "district"),
    ("recruit_hire_fire", "human_resources", "Recruit, hire and fire teachers and leaders", "lead_partner"),
    ("co_curriculars", "co_curriculars", "Provide co-curricular activities", "undecided"),
]


def load(apps, schema_editor):
    AutonomyItem = apps.get_model("contracts", "AutonomyItem")
    ResponsibilityItem = apps.get_model("contracts", "ResponsibilityItem")
    for order, (code, dimension, text) in enumerate(AUTONOMIES, start=1):
        AutonomyItem.objects.update_or_create(code=code, defaults=dict(dimension=dimension, text=text, order=order))
    for order, (code, area, text, owner) in enumerate(RESPONSIBILITIES, start=1):
        ResponsibilityItem.objects.update_or_create(
            code=code, defaults=dict(area=area, text=text, default_owner=owner, order=order)
        )


def unload(apps, schema_editor):
    apps.get_model("contracts", "AutonomyItem").objects.filter(code__in=[a[0] for a in AUTONOMIES]).delete()
    apps.get_model("contracts", "ResponsibilityItem").objects.filter(
        code__in=[r[0] for r in RESPONSIBILITIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_initial")]
    operations = [migrations.RunPython(load, unload)]
