"""The indicator catalog, measurements with their provenance, and the computed statuses."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .querysets import (
    ContractPerformanceQuerySet,
    IndicatorStatusQuerySet,
    MeasurementImportQuerySet,
    MeasurementQuerySet,
)


class IndicatorKind(models.TextChoices):
    LEADING = "leading", "Leading"
    LAGGING = "lagging", "Lagging"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Aggregation(models.TextChoices):
    MEAN = "mean", "Mean"
    SUM = "sum", "Sum"
    LAST = "last", "Last"


class Unit(models.TextChoices):
    PERCENT = "percent", "%"
    COUNT = "count", "count"
    DAYS = "days", "days"
    SCORE = "score", "score"
    PERCENTAGE_POINTS = "points", "percentage points"


class Indicator(models.Model):
    """A measure in the catalog: leading ones count in years 1-2, lagging ones from year 3."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=IndicatorKind.choices)
    unit = models.CharField(max_length=8, choices=Unit.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices)
    min_value = models.FloatField(null=True, blank=True, help_text="Smallest plausible value.")
    max_value = models.FloatField(null=True, blank=True, help_text="Largest plausible value.")
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lt=F("max_value")),
                name="indicator_range_ordered",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_count(self):
        """Counts are summed across a cluster's schools; rates are enrolment-weighted means."""
        return self.unit == Unit.COUNT

    def better(self, a, b):
        """True when value a is better than value b for this indicator."""
        return a > b if self.direction == Direction.HIGHER else a < b


class StudentGroup(models.TextChoices):
    ALL = "all", "All students"
    ENGLISH_LEARNERS = "english_learners", "English learners"
    DISABILITIES = "students_with_disabilities", "Students with disabilities"
    LOW_INCOME = "low_income", "Low-income students"
    BLACK = "black", "Black students"
    HISPANIC = "hispanic", "Hispanic students"
    WHITE = "white", "White students"


class Source(models.TextChoices):
    IMPORT = "import", "Import"
    FORM = "form", "Form"
    API = "api", "API"
    COMPUTED = "computed", "Computed"


# Indicators the portal computes itself (source "computed"); imports and forms cannot supply them.
FIELD_PRESENCE = "field_presence_rate"  # from field visits: partners/presence.py
COMPUTED_INDICATORS = frozenset({FIELD_PRESENCE})


class Verification(models.TextChoices):
    REPORTED = "reported", "Reported"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"


# What identifies a measurement (its unique constraint; the conflict target of every upsert).
MEASUREMENT_KEY = ("school", "indicator", "period_start", "period_end", "student_group")


class Measurement(models.Model):
    """One value of one indicator for one school, period and student group, with its provenance.
    A re-import of the same school, indicator, period and group replaces the value."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="measurements")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="measurements")
    period_start = models.DateField()
    period_end = models.DateField()
    student_group = models.CharField(max_length=28, choices=StudentGroup.choices, default=StudentGroup.ALL)
    value = models.FloatField()
    source = models.CharField(max_length=8, choices=Source.choices)
    supplied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verification = models.CharField(max_length=8, choices=Verification.choices, default=Verification.REPORTED)
    dispute_reason = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    import_batch = models.ForeignKey(
        "MeasurementImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measurements",
        help_text="The import that last wrote this value.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["school", "indicator", "period_start"]
        indexes = [
            # The indicator engine's path to a school's values of a year: on PostgreSQL an
            # index-only scan (with the columns it reads included), which made the full recompute
            # about 3x faster in bench/recompute.py. SQLite ignores INCLUDE.
            models.Index(
                fields=["indicator", "school", "period_end"],
                include=["period_start", "value", "student_group"],
                name="measurement_ind_school_end",
            ),
            # The values page, latest first: its first page without reading every value in scope.
            models.Index(fields=["-period_end", "-id"], name="measurement_latest"),
            # The disputed values a Lead Partner has to answer, counted on every values page.
            models.Index(
                fields=["school"], condition=Q(verification="disputed"), name="measurement_disputed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=list(MEASUREMENT_KEY),
                name="measurement_one_per_period_and_group",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="measurement_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(verification="disputed") | ~Q(dispute_reason=""),
                name="measurement_dispute_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.school} {self.period_start}..{self.period_end}: {self.value}"

    def clean(self):
        """The value's checks of every other write path (indicators/imports.py, parse_value), for
        forms on the model (the admin)."""
        from django.core.exceptions import ValidationError

        from .imports import parse_value

        if self.value is None or self.indicator_id is None:
            return
        problems = []
        parse_value(self.value, self.indicator, lambda column, message: problems.append(message))
        if problems:
            raise ValidationError({"value": problems})


class EventKind(models.TextChoices):
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    CORRECTED = "corrected", "Corrected"
    COMMENTED = "commented", "Commented"
    # A value changed by an import or the API (old and new value kept); a partner's change of a
    # disputed value is recorded as its answer (corrected) instead.
    REPLACED = "replaced", "Replaced"


class MeasurementEvent(models.Model):
    """One step of a value's verification: the district verifies or disputes it (with a reason),
    the Lead Partner answers a dispute with a correction or a comment, an import or the API
    replaces it (old and new value). The trail behind a value's verification state, shown with
    its provenance."""

    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True, help_text="The reason of a dispute, or the comment of an answer.")
    old_value = models.FloatField(null=True, blank=True)
    new_value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["measurement", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="measurement_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["disputed", "commented"]) | ~Q(text=""),
                name="measurement_event_text_required",
            ),
            models.CheckConstraint(
                condition=~Q(kind="corrected") | Q(new_value__isnull=False),
                name="measurement_event_correction_has_value",
            ),
            models.CheckConstraint(
                condition=~Q(kind="replaced") | Q(new_value__isnull=False, old_value__isnull=False),
                name="measurement_event_replacement_has_values",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.measurement_id} by {self.user_id}"


class ImportStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


class MeasurementImport(models.Model):
    """One file of measurements, imported whole or rejected whole: who, when, which file, the
    counts, and every row error with its line number."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    channel = models.CharField(
        max_length=8, choices=[("browser", "Browser"), ("command", "Command"), ("api", "API")]
    )
    status = models.CharField(max_length=8, choices=ImportStatus.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, column, message}, ...]")

    objects = MeasurementImportQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()}, {self.uploaded_at:%Y-%m-%d %H:%M})"


class Status(models.TextChoices):
    MET = "met", "Met"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    # A cluster-wide value with schools missing: a data problem to chase, never a result.
    INCOMPLETE = "incomplete", "Incomplete"
    NO_DATA = "no_data", "No data"


class PerformanceStatus(models.TextChoices):
    PRE_LAUNCH = "pre_launch", "Pre-launch"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    NO_DATA = "no_data", "No data"


class IndicatorStatus(models.Model):
    """A computed row: how one indicator stands against its target, for one contract year and one
    school or (school empty) the whole cluster. Written only by the indicator engine.

    Its foreign keys have no constraint in the database (db_constraint=False): the engine writes
    rows only from the targets it joins, each of which references an existing contract,
    indicator and school, and checking three keys per row cost a full recompute about a sixth of
    its time (docs/figures.md). Deletes still cascade (Django's collector); a contract's deletion
    takes the contract's engine lock first (indicators.signals), so it cannot interleave with a
    recompute writing that contract's rows; an indicator or school is protected by the targets
    that reference it."""

    contract = models.ForeignKey(
        "contracts.PerformanceContract",
        on_delete=models.CASCADE,
        related_name="indicator_statuses",
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="statuses", db_constraint=False
    )
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicator_statuses",
        db_constraint=False,
    )
    contract_year = models.PositiveSmallIntegerField()
    accountable = models.BooleanField()
    as_of = models.DateField()
    value = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    progress = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    # A miss read as on track because it closed the contract's improvement margin of last year's gap.
    by_improvement = models.BooleanField(db_default=False)
    projection = models.FloatField(null=True, blank=True, help_text="Projected year-end value.")
    projected_to_meet = models.BooleanField(null=True, blank=True)
    # Cluster-wide rows: how many of the contract's schools have a value for the year, of how many.
    schools_reporting = models.PositiveSmallIntegerField(null=True, blank=True)
    schools_expected = models.PositiveSmallIntegerField(null=True, blank=True)
    # The latest evidence for this target and scope: this row's own year where its data are
    # complete, else the latest earlier contract year whose are (None: no evidence yet), and the
    # status of that year. The contract's performance status rests on these.
    evidence_year = models.PositiveSmallIntegerField(null=True, blank=True)
    evidence_status = models.CharField(max_length=10, choices=Status.choices, blank=True, db_default="")
    computed_at = models.DateTimeField()

    objects = IndicatorStatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "indicator statuses"
        ordering = ["contract", "contract_year", "indicator__order", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "indicator", "contract_year", "school"],
                condition=Q(school__isnull=False),
                name="indicator_status_unique_per_school",
            ),
            models.UniqueConstraint(
                fields=["contract", "indicator", "contract_year"],
                condition=Q(school__isnull=True),
                name="indicator_status_unique_cluster_wide",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="indicator_status_valid"),
        ]

    def __str__(self):
        return f"{self.contract} {self.indicator.code} y{self.contract_year}: {self.status}"

    @property
    def evidence_is_earlier(self):
        """The evidence comes from an earlier contract year than the row's own."""
        return self.evidence_year is not None and self.evidence_year < self.contract_year


class ContractPerformance(models.Model):
    """A contract's computed performance status: the worst latest evidence of the accountable
    targets of the current year (indicators/rules.py, `performance_status`)."""

    contract = models.OneToOneField(
        "contracts.PerformanceContract", on_delete=models.CASCADE, related_name="performance"
    )
    performance_status = models.CharField(max_length=10, choices=PerformanceStatus.choices)
    contract_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # The contract years the status rests on, ascending, comma-separated ("3,4"); empty: none.
    basis = models.CharField(max_length=40, blank=True, db_default="")
    as_of = models.DateField()
    computed_at = models.DateTimeField()

    objects = ContractPerformanceQuerySet.as_manager()

    class Meta:
        ordering = ["contract"]

    def __str__(self):
        return f"{self.contract}: {self.performance_status}"

    @property
    def basis_years(self):
        return [int(year) for year in self.basis.split(",") if year]


class YearAggregate(models.Model):
    """The engine's aggregates of one school's measurements of one indicator over a contract year
    that is over (PostgreSQL only): a full recompute reads these instead of the year's
    measurements. Written only by the engine; a trigger on the measurement table (migration 0005)
    deletes the rows that a written or deleted measurement falls into, whatever wrote it."""

    # Keys without a database constraint, as IndicatorStatus's and for the same reasons: the engine
    # writes these rows from the windows and schools it joins, and reads them only through those
    # joins; checking three keys a row took a cold recompute a fifth of its time.
    contract = models.ForeignKey(
        "contracts.PerformanceContract",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    contract_year = models.PositiveSmallIntegerField()
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # The window the aggregates cover: its first day and the last day whose measurements count.
    year_start = models.DateField()
    cutoff = models.DateField()
    n = models.IntegerField(help_text="Number of measurements.")
    s = models.FloatField(help_text="Sum of their values.")
    last_value = models.FloatField(help_text="The value of the latest period.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "contract_year", "indicator", "school"], name="year_aggregate_key"
            )
        ]
        # The trigger's lookup: a measurement's school and indicator, then its period end.
        indexes = [models.Index(fields=["school", "indicator", "year_start"], name="year_aggregate_school")]

    def __str__(self):
        return f"{self.contract_id} y{self.contract_year} {self.indicator_id} school {self.school_id}"
