"""States, districts, schools, partnership zones and clusters."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .querysets import (
    ClusterQuerySet,
    DistrictQuerySet,
    NonSchoolDayQuerySet,
    PartnershipZoneQuerySet,
    SchoolQuerySet,
    SchoolYearCalendarQuerySet,
    StateQuerySet,
)

IDEAL_CLUSTER_SIZE = (3, 5)


class State(models.Model):
    """A state; its education agency can be a contracting authority and vets priority partners."""

    code = models.CharField(max_length=2, unique=True, help_text="Two-letter postal code, e.g. IL.")
    name = models.CharField(max_length=100, unique=True)

    objects = StateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class District(models.Model):
    """A school district; it belongs to a state and can be a contracting authority."""

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(max_length=200)
    nces_id = models.CharField("NCES district id", max_length=20, unique=True, null=True, blank=True)

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "name"], name="district_unique_name_in_state")
        ]

    def __str__(self):
        return f"{self.name} ({self.state.code})"


class PartnershipZone(models.Model):
    """A protected carve-out of a district holding one or more clusters, with flexible conditions."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="zones")
    name = models.CharField(max_length=200)
    conditions = models.TextField(blank=True, help_text="The zone's flexible operating conditions.")
    established_on = models.DateField(null=True, blank=True)

    objects = PartnershipZoneQuerySet.as_manager()

    class Meta:
        ordering = ["district__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="zone_unique_name_in_district")
        ]

    def __str__(self):
        return self.name


class SchoolLevel(models.TextChoices):
    ELEMENTARY = "elementary", "Elementary"
    MIDDLE = "middle", "Middle"
    HIGH = "high", "High"
    K8 = "k8", "K-8"
    SIX_TWELVE = "6_12", "6-12"


GRADES = [(-1, "Pre-K"), (0, "K")] + [(g, str(g)) for g in range(1, 13)]


class School(models.Model):
    """A school of a district, identified by its state/NCES id."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    state_id = models.CharField(
        "state/NCES id", max_length=20, unique=True, help_text="The school's state or NCES identifier."
    )
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=12, choices=SchoolLevel.choices)
    grade_low = models.SmallIntegerField(choices=GRADES)
    grade_high = models.SmallIntegerField(choices=GRADES)
    enrolment = models.PositiveIntegerField(default=0)
    feeds_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="feeder_schools"
    )
    address = models.CharField(max_length=300, blank=True)

    objects = SchoolQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_low__lte=models.F("grade_high")), name="school_grade_span_ordered"
            ),
            models.CheckConstraint(condition=~Q(feeds_into=models.F("id")), name="school_not_feeding_itself"),
        ]

    def __str__(self):
        return self.name

    @property
    def grade_span(self):
        labels = dict(GRADES)
        return f"{labels[self.grade_low]}-{labels[self.grade_high]}"

    def clean(self):
        if self.feeds_into_id and self.feeds_into.district_id != self.district_id:
            raise ValidationError({"feeds_into": "A school can only feed into a school of its own district."})


class Cluster(models.Model):
    """The intentional cluster: the schools one Lead Partner turns around together.

    Ideally 3-5 schools, usually a high school and its feeders, all in one district. Outside 3-5
    the portal warns; it does not refuse.
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="clusters")
    zone = models.ForeignKey(
        PartnershipZone, on_delete=models.SET_NULL, null=True, blank=True, related_name="clusters"
    )
    name = models.CharField(max_length=200)
    schools = models.ManyToManyField(School, through="ClusterMembership", related_name="clusters")

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="cluster_unique_name_in_district")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.zone_id and self.zone.district_id != self.district_id:
            raise ValidationError({"zone": "The zone must be in the cluster's district."})

    @property
    def size_warning(self):
        """A warning when the cluster is outside the ideal 3-5 schools, else an empty string."""
        size = self.schools.count()
        low, high = IDEAL_CLUSTER_SIZE
        if low <= size <= high:
            return ""
        return f"This cluster has {size} school{'s' if size != 1 else ''}; the ideal is {low}-{high}."


class ClusterMembership(models.Model):
    """A school's place in a cluster."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cluster_memberships")

    history = HistoricalRecords()

    class Meta:
        ordering = ["cluster", "school__name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "school"], name="cluster_membership_unique")
        ]

    def __str__(self):
        return f"{self.school} in {self.cluster}"

    def clean(self):
        if self.school_id and self.cluster_id and self.school.district_id != self.cluster.district_id:
            raise ValidationError({"school": "All schools of a cluster must be in the cluster's district."})


class NonSchoolDay(models.Model):
    """A weekday on which a district's schools are closed to students (a holiday, a break, a
    closure). Presence coverage does not expect a field visit on it."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="non_school_days")
    date = models.DateField()
    description = models.CharField(max_length=200, help_text="e.g. Thanksgiving break, snow day.")

    objects = NonSchoolDayQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["district__name", "date"]
        constraints = [
            models.UniqueConstraint(fields=["district", "date"], name="non_school_day_unique_per_district")
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.description} ({self.district.name})"


class SchoolYearCalendar(models.Model):
    """A district's first and last day of school in one school year (1 July to 30 June, named by its
    first calendar year: 2026 is 2026-27). A school year without a row has the defaults of
    `schools.calendar.default_school_days`. With the non-school days, these make the instructional
    days (`schools.calendar.instructional_days`)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="school_years")
    school_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="The school year's first calendar year: 2026 for 2026-27.",
    )
    first_day = models.DateField("first day of school")
    last_day = models.DateField("last day of school")

    objects = SchoolYearCalendarQuerySet.as_manager()

    class Meta:
        ordering = ["district__name", "school_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school_year"], name="school_year_calendar_unique_per_district"
            ),
            models.CheckConstraint(
                condition=Q(first_day__lt=F("last_day")), name="school_year_calendar_first_before_last"
            ),
        ]

    def __str__(self):
        from .calendar import school_year_label

        return f"{self.district.name} {school_year_label(self.school_year)}"

    def clean(self):
        from .calendar import school_year_bounds, school_year_label

        if self.school_year is None:
            return
        start, end = school_year_bounds(self.school_year)
        label = school_year_label(self.school_year)
        errors = {}
        for field in ("first_day", "last_day"):
            day = getattr(self, field)
            if day is not None and not start <= day <= end:
                errors[field] = (
                    f"School year {label} runs from {start:%B} {start.day}, {start.year} "
                    f"to {end:%B} {end.day}, {end.year}: choose a day inside it."
                )
        if not errors and self.first_day and self.last_day and self.last_day <= self.first_day:
            errors["last_day"] = "The last day of school must be after the first."
        if errors:
            raise ValidationError(errors)
