"""Organizations, their self-audits and priority partner designations, and field visits."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .querysets import (
    DesignationQuerySet,
    FieldVisitQuerySet,
    FollowUpQuerySet,
    OrganizationQuerySet,
    SelfAuditQuerySet,
)


class OrganizationKind(models.TextChoices):
    """Where an organization comes from. Lead Partner is a role (holding a contract), not a kind."""

    SCHOOL_MANAGEMENT = "school_management", "Charter/school management organization"
    SUPPORTING_PARTNER = "supporting_partner", "Supporting partner"
    LOCAL_FUNDER = "local_funder", "Local funder"
    DISTRICT_UNIT = "district_unit", "District unit"
    UNION = "union", "Union"
    UNIVERSITY = "university", "University"
    OTHER_NONPROFIT = "other_nonprofit", "Other non-profit"


class Organization(models.Model):
    """Any outside body: a would-be or actual Lead Partner, a supporting partner, a funder, ..."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=24, choices=OrganizationKind.choices)
    home_state = models.ForeignKey(
        "schools.State", on_delete=models.SET_NULL, null=True, blank=True, related_name="organizations"
    )
    founded_year = models.PositiveSmallIntegerField(null=True, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    unionized_staff = models.BooleanField(null=True, blank=True, help_text="Are its school staff unionized?")
    visit_edit_window_days = models.PositiveSmallIntegerField(
        "field visit edit window (days)",
        default=7,
        help_text="How many days after logging a field visit its author may still edit or delete it; "
        "after that, corrections are new entries.",
    )

    objects = OrganizationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name


class AuditArea(models.TextChoices):
    EXPERIENCE = "experience", "Experience"
    WILLINGNESS = "willingness", "Willingness"
    READINESS = "readiness", "Readiness"
    COMPETENCIES = "competencies", "Competencies"


class SelfAuditItem(models.Model):
    """One question of the self-audit for potential Lead Partners (reference data, from the seed)."""

    code = models.SlugField(max_length=60, unique=True)
    area = models.CharField(max_length=16, choices=AuditArea.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.text


class SelfAudit(models.Model):
    """An organization's answers to the self-audit, used to screen proposals."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="self_audits")
    completed_on = models.DateField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.TextField(blank=True)

    objects = SelfAuditQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "-completed_on"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "completed_on"], name="self_audit_one_per_day")
        ]

    def __str__(self):
        return f"Self-audit of {self.organization} on {self.completed_on}"


class AuditAnswerValue(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class SelfAuditAnswer(models.Model):
    audit = models.ForeignKey(SelfAudit, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(SelfAuditItem, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=8, choices=AuditAnswerValue.choices)
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "item__order"]
        constraints = [models.UniqueConstraint(fields=["audit", "item"], name="self_audit_answer_unique")]

    def __str__(self):
        return f"{self.item.code}: {self.answer}"


class ServiceArea(models.Model):
    """An area a priority partner is vetted for (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PriorityPartnerDesignation(models.Model):
    """A state's vetting of an organization as a priority partner for given service areas."""

    state = models.ForeignKey("schools.State", on_delete=models.PROTECT, related_name="designations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="designations")
    service_areas = models.ManyToManyField(ServiceArea, related_name="designations")
    designated_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(help_text="The track record the designation rests on.")
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DesignationQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[service_areas])

    class Meta:
        ordering = ["state__name", "organization__name", "-designated_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("designated_on")),
                name="designation_expires_after_start",
            ),
            models.UniqueConstraint(
                fields=["state", "organization", "designated_on"], name="designation_unique_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.organization} - priority partner in {self.state}"


class VisitMode(models.TextChoices):
    ON_SITE = "on_site", "On site"
    REMOTE = "remote", "Remote"


class VisitFocus(models.TextChoices):
    """The field staff functions of the seed."""

    INSTRUCTIONAL = "instructional_support", "Instructional support"
    OPERATIONAL = "operational_support", "Operational support"
    SUPPORTING_PARTNERS = "coordinate_supporting_partners", "Coordinating supporting partners"
    DISTRICT = "coordinate_district", "Coordinating district central office"
    NATIONAL_PARTNERS = "coordinate_national_partners", "Coordinating national strategic partners"
    FORMATIVE_ASSESSMENT = "formative_assessment", "Formative assessment"
    PRINCIPAL_CHECK_IN = "principal_check_in", "Principal check-in"


def validate_focus_list(value):
    allowed = set(VisitFocus.values)
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one focus.")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValidationError(f"Unknown focus: {', '.join(map(str, unknown))}.")


class FieldVisit(models.Model):
    """A Lead Partner staff member's visit to one school on one date."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="field_visits")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="field_visits")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="field_visits")
    visit_date = models.DateField()
    mode = models.CharField(max_length=8, choices=VisitMode.choices, default=VisitMode.ON_SITE)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(help_text="From the start and end times when given.")
    focus = models.JSONField(
        default=list, validators=[validate_focus_list], help_text="One or more focus areas."
    )
    people_met = models.CharField(max_length=300, blank=True, help_text="Who was met (names or roles).")
    progress = models.TextField(blank=True)
    barriers = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The earlier entry this one corrects, once that one can no longer be edited.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FieldVisitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-visit_date", "school__name"]
        indexes = [models.Index(fields=["school", "visit_date"], name="visit_school_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0, duration_minutes__lte=24 * 60),
                name="visit_duration_in_day",
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=F("start_time")),
                name="visit_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.school} on {self.visit_date} ({self.get_mode_display()})"

    @property
    def focus_labels(self):
        labels = dict(VisitFocus.choices)
        return [labels.get(f, f) for f in self.focus]


class FollowUp(models.Model):
    """A follow-up from a field visit, with an owner and a due date."""

    visit = models.ForeignKey(FieldVisit, on_delete=models.CASCADE, related_name="follow_ups")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=200, help_text="Who does it (name or role).")
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    closing_note = models.TextField(blank=True, help_text="What was done; required to close.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FollowUpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(closing_note=""),
                name="follow_up_closed_with_note",
            )
        ]

    def __str__(self):
        return self.description
