"""Field staff presence is computed from field visits: the catalog says how (ISO weeks, on-site
visits, the district calendar). The row itself came with the catalog; this makes sure it is there
with the definition the portal computes."""

from django.db import migrations

CODE = "field_presence_rate"
DEFINITION = dict(
    name="Field staff presence",
    kind="leading",
    unit="percent",
    direction="higher",
    aggregation="mean",
    min_value=0,
    max_value=100,
    description=(
        "Per school and ISO week: the share of the week's school days (weekdays that are not "
        "non-school days in the district calendar) with at least one on-site Lead Partner field "
        "visit. Computed from the logged visits; 5 days a week is the expectation."
    ),
)


def load(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    indicator = Indicator.objects.filter(code=CODE).first()
    if indicator is None:
        order = (Indicator.objects.filter(kind="leading").order_by("-order").values_list("order", flat=True).first() or 0) + 1
        Indicator.objects.create(code=CODE, order=order, **DEFINITION)
        return
    for name, value in DEFINITION.items():
        setattr(indicator, name, value)
    indicator.save()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0006_measurement_events")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
