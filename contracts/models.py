"""RFPs and proposals, performance contracts and everything they carry."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from simple_history.models import HistoricalRecords

from .phases import contract_phase
from .querysets import ContractChildQuerySet, ContractQuerySet, ProposalQuerySet, RfpQuerySet

# The database refuses a term outside 3-5 years. Counted in days so that the same check runs on
# SQLite and PostgreSQL: 3 years less a day (a term ending the day before its third anniversary,
# with no 29 February inside) up to 5 years with two leap days. Forms check exact calendar years.
MIN_TERM_DAYS = 3 * 365 - 1
MAX_TERM_DAYS = 5 * 365 + 2
MIN_TERM_YEARS, MAX_TERM_YEARS = 3, 5
# A contract's dates lie between these (docs/operations.md, "Bad input"): a contract year's
# anniversaries and the engine's year arithmetic stay well inside the calendar (a start in year
# 9999 would end in year 10004, which no date can hold).
EARLIEST_CONTRACT_DATE, LATEST_CONTRACT_DATE = date(1990, 1, 1), date(2100, 12, 31)


def validate_contract_date(day):
    if day is not None and not EARLIEST_CONTRACT_DATE <= day <= LATEST_CONTRACT_DATE:
        raise ValidationError(
            f"A contract's dates lie between {EARLIEST_CONTRACT_DATE:%Y-%m-%d} and "
            f"{LATEST_CONTRACT_DATE:%Y-%m-%d}."
        )


def contract_dates_in_range(*days):
    return all(day is not None and EARLIEST_CONTRACT_DATE <= day <= LATEST_CONTRACT_DATE for day in days)


class Authority(models.TextChoices):
    DISTRICT = "district", "District"
    STATE = "state", "State"


class RfpStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    AWARDED = "awarded", "Awarded"
    CANCELLED = "cancelled", "Cancelled"


class Rfp(models.Model):
    """A request for proposals for a set of schools, issued by a district or its state."""

    district = models.ForeignKey("schools.District", on_delete=models.PROTECT, related_name="rfps")
    authority = models.CharField(max_length=8, choices=Authority.choices, default=Authority.DISTRICT)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    selection_criteria = models.TextField(blank=True)
    schools = models.ManyToManyField("schools.School", related_name="rfps")
    issued_on = models.DateField(null=True, blank=True)
    proposals_due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RfpStatus.choices, default=RfpStatus.DRAFT)

    objects = RfpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "RFP"
        ordering = ["-issued_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposals_due_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(proposals_due_on__gte=F("issued_on")),
                name="rfp_due_after_issue",
            )
        ]

    def __str__(self):
        return self.title


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    SELECTED = "selected", "Selected"
    NOT_SELECTED = "not_selected", "Not selected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Proposal(models.Model):
    """An organization's answer to an RFP; scored, and at most one selected per RFP."""

    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="proposals")
    organization = models.ForeignKey(
        "partners.Organization", on_delete=models.PROTECT, related_name="proposals"
    )
    submitted_on = models.DateField()
    summary = models.TextField(blank=True)
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="0-100, from the scoring rubric."
    )
    reviewer_notes = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED)
    # The scoring rubric (contracts/rubric.py): the reviewers' ratings, 0-4 each, and the rating of
    # the organization's self-audit, computed from its answers when the proposal is scored.
    track_record_rating = models.PositiveSmallIntegerField(
        "track record", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    school_model_rating = models.PositiveSmallIntegerField(
        "school model", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    capacity_rating = models.PositiveSmallIntegerField(
        "capacity", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    community_rating = models.PositiveSmallIntegerField(
        "community and district", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    budget_rating = models.PositiveSmallIntegerField(
        "budget", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    self_audit = models.ForeignKey(
        "partners.SelfAudit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        help_text="The self-audit the proposal was scored with.",
    )
    self_audit_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)

    objects = ProposalQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["rfp", "-score", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["rfp", "organization"], name="proposal_one_per_organization"),
            models.UniqueConstraint(
                fields=["rfp"], condition=Q(status="selected"), name="proposal_one_selected_per_rfp"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="proposal_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(track_record_rating__lte=4)
                & Q(school_model_rating__lte=4)
                & Q(capacity_rating__lte=4)
                & Q(community_rating__lte=4)
                & Q(budget_rating__lte=4),
                name="proposal_ratings_0_4",
            ),
        ]

    def __str__(self):
        return f"{self.organization} for {self.rfp}"


class LifecycleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PRE_LAUNCH = "pre_launch", "Pre-launch"
    ACTIVE = "active", "Active"
    PROBATION = "probation", "Probation"
    RENEWED = "renewed", "Renewed"
    TERMINATED = "terminated", "Terminated"
    COMPLETED = "completed", "Completed"


# The allowed edges of the lifecycle; the database refuses any other (see ContractStatusChange).
ALLOWED_TRANSITIONS = {
    "": {"draft"},
    "draft": {"pre_launch", "terminated"},
    "pre_launch": {"active", "terminated"},
    "active": {"probation", "renewed", "terminated", "completed"},
    "probation": {"active", "renewed", "terminated", "completed"},
    "renewed": {"probation", "terminated", "completed"},
    "terminated": set(),
    "completed": set(),
}
# A school is in at most one contract in one of these statuses.
IN_FORCE_STATUSES = ("pre_launch", "active", "probation", "renewed")
# Contracts whose Lead Partner staff are on the ground in the schools.
ON_THE_GROUND_STATUSES = ("active", "probation", "renewed")
CLOSED_STATUSES = ("terminated", "completed")


class Phase(models.TextChoices):
    PRE_LAUNCH = "pre_launch", "Pre-launch"
    YEAR_1 = "year_1", "Year 1"
    YEAR_2 = "year_2", "Year 2"
    YEAR_3_PLUS = "year_3_plus", "Year 3+"
    ENDED = "ended", "Ended"


class PerformanceContract(models.Model):
    """A 3-5 year performance contract between an authority (a district or its state) and one
    Lead Partner, for one cluster of schools."""

    reference = models.CharField(max_length=40, unique=True, help_text="The authority's contract number.")
    name = models.CharField(max_length=200)
    district = models.ForeignKey("schools.District", on_delete=models.PROTECT, related_name="contracts")
    authority = models.CharField(
        max_length=8,
        choices=Authority.choices,
        default=Authority.DISTRICT,
        help_text="Who signs for the public side: the district, or its state.",
    )
    lead_partner = models.ForeignKey(
        "partners.Organization", on_delete=models.PROTECT, related_name="contracts"
    )
    cluster = models.ForeignKey("schools.Cluster", on_delete=models.PROTECT, related_name="contracts")
    schools = models.ManyToManyField("schools.School", through="ContractSchool", related_name="contracts")
    proposal = models.OneToOneField(
        Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="contract"
    )
    start_date = models.DateField(
        help_text="The first day of contract year 1.", validators=[validate_contract_date]
    )
    end_date = models.DateField(help_text="The last day of the term.", validators=[validate_contract_date])
    ended_on = models.DateField(
        null=True, blank=True, editable=False, help_text="Set when the contract is terminated or completed."
    )
    lifecycle_status = models.CharField(
        max_length=12, choices=LifecycleStatus.choices, default=LifecycleStatus.DRAFT, editable=False
    )
    mou_signed_on = models.DateField("MOU signed on", null=True, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    # Funding terms.
    per_pupil_allocation = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    central_office_share_pct = models.DecimalField(
        "share of central office budget (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    improvement_grant_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Accountability terms.
    accountable_from_year = models.PositiveSmallIntegerField(
        default=3, help_text="From this contract year on, the lagging indicators are the accountable ones."
    )
    on_track_threshold = models.FloatField(default=0.75, help_text="Progress at or above this is on track.")
    at_risk_threshold = models.FloatField(default=0.25, help_text="Progress at or above this is at risk.")
    improvement_margin = models.FloatField(
        default=0.0,
        db_default=0.0,  # rows written outside Django (bulk loads) get it too
        help_text="A miss that closed at least this share of last year's gap to the target counts as on "
        "track (by improvement); 0 turns it off.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContractQuerySet.as_manager()

    # The terms district staff edit (the terms form) and the contract's change history shows.
    TERMS = (
        "reference",
        "name",
        "start_date",
        "end_date",
        "mou_signed_on",
        "signed_on",
        "per_pupil_allocation",
        "central_office_share_pct",
        "improvement_grant_amount",
        "accountable_from_year",
        "on_track_threshold",
        "at_risk_threshold",
        "improvement_margin",
        "notes",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["district__name", "name"]
        indexes = [models.Index(fields=["lifecycle_status"], name="contract_lifecycle_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="contract_end_after_start"
            ),
            models.CheckConstraint(
                # "+ 0 days" on both sides makes SQLite compare two datetimes, not a date to a datetime.
                condition=GreaterThanOrEqual(
                    F("end_date") + timedelta(0), F("start_date") + timedelta(days=MIN_TERM_DAYS)
                )
                & LessThanOrEqual(
                    F("end_date") + timedelta(0), F("start_date") + timedelta(days=MAX_TERM_DAYS)
                ),
                name="contract_term_3_to_5_years",
            ),
            models.CheckConstraint(
                condition=Q(accountable_from_year__gte=1, accountable_from_year__lte=MAX_TERM_YEARS),
                name="contract_accountable_from_year_in_term",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_threshold__gte=0)
                & Q(at_risk_threshold__lt=F("on_track_threshold"))
                & Q(on_track_threshold__lte=1),
                name="contract_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(improvement_margin__gte=0, improvement_margin__lte=1),
                name="contract_improvement_margin_share",
            ),
            models.CheckConstraint(
                condition=Q(central_office_share_pct__isnull=True)
                | Q(central_office_share_pct__gte=0, central_office_share_pct__lte=100),
                name="contract_central_share_pct",
            ),
            models.CheckConstraint(
                condition=Q(lifecycle_status__in=LifecycleStatus.values),
                name="contract_lifecycle_status_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if contract_dates_in_range(self.start_date, self.end_date):  # else refused by the fields
            years = term_years(self.start_date, self.end_date)
            if self.end_date <= self.start_date:
                errors["end_date"] = "The end date must be after the start date."
            elif years is None:
                errors["end_date"] = (
                    f"A performance contract runs {MIN_TERM_YEARS} to {MAX_TERM_YEARS} years: "
                    f"end it the day before an anniversary of the start date "
                    f"(for a 3-year term from {self.start_date:%Y-%m-%d}: "
                    f"{add_years(self.start_date, 3) - timedelta(days=1):%Y-%m-%d})."
                )
        if self.cluster_id and self.district_id and self.cluster.district_id != self.district_id:
            errors["cluster"] = "The cluster must be in the contract's district."
        if errors:
            raise ValidationError(errors)

    def phase_on(self, as_of):
        """(phase, contract_year) on a date; contract_year is None before the start."""
        return contract_phase(self.start_date, self.end_date, as_of, ended_on=self.ended_on)

    @property
    def term_years(self):
        return term_years(self.start_date, self.end_date)

    @property
    def is_in_force(self):
        return self.lifecycle_status in IN_FORCE_STATUSES


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_years(start, end):
    """The term in whole years when the contract ends the day before an anniversary (or on it),
    and is 3 to 5 years long; otherwise None (dates outside the contract range included)."""
    if not contract_dates_in_range(start, end):
        return None
    for years in range(MIN_TERM_YEARS, MAX_TERM_YEARS + 1):
        anniversary = add_years(start, years)
        if end in (anniversary, anniversary - timedelta(days=1)):
            return years
    return None


class ContractSchool(models.Model):
    """A school covered by a contract. `in_force` mirrors the contract's lifecycle status so that
    the database itself can hold "a school is in at most one contract in force"."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="school_links")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="contract_links")
    in_force = models.BooleanField(default=False, editable=False)

    # Which schools a contract covers, and when that changed. `in_force` mirrors the lifecycle
    # (whose own record is the status history): computed, so kept out of the history.
    history = HistoricalRecords(excluded_fields=["in_force"])

    class Meta:
        ordering = ["contract", "school__name"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "school"], name="contract_school_unique"),
            models.UniqueConstraint(
                fields=["school"], condition=Q(in_force=True), name="school_in_one_contract_in_force"
            ),
        ]

    def __str__(self):
        return f"{self.school} under {self.contract}"


def _transition_condition():
    edges = Q()
    for source, targets in ALLOWED_TRANSITIONS.items():
        for target in sorted(targets):
            edges |= Q(from_status=source, to_status=target)
    return edges


class ContractStatusChange(models.Model):
    """One move of a contract's lifecycle status: who, when and why. Only allowed edges are accepted."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, blank=True, choices=LifecycleStatus.choices)
    to_status = models.CharField(max_length=12, choices=LifecycleStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    effective_on = models.DateField(help_text="The day the new status takes effect.")
    reason = models.TextField()

    objects = ContractChildQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_transition_condition(), name="status_change_allowed_edge"),
            models.CheckConstraint(condition=~Q(reason=""), name="status_change_has_reason"),
        ]

    def __str__(self):
        return f"{self.contract}: {self.from_status or 'new'} -> {self.to_status}"


class AutonomyDimension(models.TextChoices):
    PEOPLE = "people", "People"
    TIME = "time", "Time"
    MONEY = "money", "Money"
    PROGRAM = "program", "Program"


class AutonomyItem(models.Model):
    """One autonomy of the seed's catalog (reference data)."""

    code = models.SlugField(max_length=60, unique=True)
    dimension = models.CharField(max_length=8, choices=AutonomyDimension.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.text


class Grant(models.TextChoices):
    GRANTED = "granted", "Granted"
    PARTIAL = "partial", "Partly granted"
    NOT_GRANTED = "not_granted", "Not granted"


class ContractAutonomy(models.Model):
    """How far a contract grants one autonomy."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="autonomies")
    item = models.ForeignKey(AutonomyItem, on_delete=models.PROTECT, related_name="+")
    grant = models.CharField(max_length=12, choices=Grant.choices, default=Grant.NOT_GRANTED)
    notes = models.TextField(blank=True)

    objects = ContractChildQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "contract autonomies"
        ordering = ["contract", "item__order"]
        constraints = [models.UniqueConstraint(fields=["contract", "item"], name="contract_autonomy_unique")]

    def __str__(self):
        return f"{self.item.code}: {self.grant}"


class FunctionArea(models.TextChoices):
    INSTRUCTION = "instruction", "Instruction"
    SUPPORT_SERVICES = "support_services", "Non-instructional support services"
    CAMPUS_OPERATIONS = "campus_operations", "Campus operations"
    IT_DATA = "it_data", "IT / Data"
    FINANCE = "finance", "Finance"
    FACILITIES = "facilities", "Facilities"
    HUMAN_RESOURCES = "human_resources", "Human resources"
    CO_CURRICULARS = "co_curriculars", "Co-curriculars"


class Owner(models.TextChoices):
    DISTRICT = "district", "District"
    LEAD_PARTNER = "lead_partner", "Lead Partner"
    SHARED = "shared", "Shared"
    UNDECIDED = "undecided", "Undecided"


class ResponsibilityItem(models.Model):
    """One line of the seed's district / Lead Partner responsibility table (reference data).
    `default_owner` is undecided for the items the seed says either side could own."""

    code = models.SlugField(max_length=60, unique=True)
    area = models.CharField(max_length=20, choices=FunctionArea.choices)
    text = models.CharField(max_length=300)
    default_owner = models.CharField(max_length=12, choices=Owner.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.text


class ContractResponsibility(models.Model):
    """Who owns one function of the responsibility split under a contract."""

    contract = models.ForeignKey(
        PerformanceContract, on_delete=models.CASCADE, related_name="responsibilities"
    )
    item = models.ForeignKey(ResponsibilityItem, on_delete=models.PROTECT, related_name="+")
    owner = models.CharField(max_length=12, choices=Owner.choices, default=Owner.UNDECIDED)
    notes = models.TextField(blank=True)

    objects = ContractChildQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "contract responsibilities"
        ordering = ["contract", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "item"], name="contract_responsibility_unique")
        ]

    def __str__(self):
        return f"{self.item.code}: {self.owner}"


class PreLaunchTask(models.TextChoices):
    MOU_SIGNED = "mou_signed", "MOU signed"
    SCHOOL_DESIGN_FINAL = "school_design_final", "School design final"
    SUPPORTING_PARTNER_CONTRACTS = "supporting_partner_contracts", "Supporting partner contracts"
    STAFF_HIRED = "staff_hired", "Staff recruited and hired"
    COMMUNITY_ENGAGEMENT = "community_engagement", "Community engagement launched"
    FACILITIES_WORK = "facilities_work", "Facilities work"
    SUMMER_PD = "summer_pd", "Summer professional development"
    DISTRICT_RELATIONSHIPS = "district_relationships", "Relationships with key district offices"


class PreLaunchChecklistItem(models.Model):
    """One item of a contract's pre-launch checklist."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="checklist")
    task = models.CharField(max_length=32, choices=PreLaunchTask.choices)
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = ContractChildQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "task"], name="checklist_task_unique")]

    def __str__(self):
        return self.get_task_display()


class Subcontract(models.Model):
    """A supporting partner's subcontract under a Lead Partner's contract."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="subcontracts")
    supporting_partner = models.ForeignKey(
        "partners.Organization", on_delete=models.PROTECT, related_name="subcontracts"
    )
    services = models.CharField(max_length=300)
    start_date = models.DateField()
    end_date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    objects = ContractChildQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="subcontract_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="subcontract_amount"
            ),
        ]

    def __str__(self):
        return f"{self.supporting_partner}: {self.services}"

    def clean(self):
        if self.contract_id and self.supporting_partner_id == self.contract.lead_partner_id:
            raise ValidationError({"supporting_partner": "The Lead Partner cannot subcontract to itself."})


class Accountability(models.TextChoices):
    """Whether a target counts towards the contract's performance status (accountable) or is only
    computed and shown (monitored); by default as the seed's timeline has it (indicators/rules.py)."""

    DEFAULT = "default", "Default"
    ACCOUNTABLE = "accountable", "Accountable"
    MONITORED = "monitored", "Monitored"


class Target(models.Model):
    """The baseline and target of one indicator for one contract year, for one school or (school
    empty) the whole cluster. The baseline is the value of the year before the contract started."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.PROTECT, related_name="targets")
    contract_year = models.PositiveSmallIntegerField()
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        help_text="Empty for a cluster-wide target.",
    )
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField()
    accountability = models.CharField(
        max_length=12,
        choices=Accountability.choices,
        default=Accountability.DEFAULT,
        db_default=Accountability.DEFAULT,  # rows written outside Django (bulk loads) get it too
        help_text="Accountable counts towards the performance status, monitored is shown only; by "
        "default leading indicators before the accountable-from year, lagging ones from it.",
    )

    objects = ContractChildQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "indicator__code", "contract_year", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "indicator", "contract_year", "school"],
                condition=Q(school__isnull=False),
                name="target_unique_per_school",
            ),
            models.UniqueConstraint(
                fields=["contract", "indicator", "contract_year"],
                condition=Q(school__isnull=True),
                name="target_unique_cluster_wide",
            ),
            models.CheckConstraint(
                condition=Q(contract_year__gte=1, contract_year__lte=MAX_TERM_YEARS),
                name="target_year_in_term",
            ),
            models.CheckConstraint(
                condition=Q(accountability__in=Accountability.values), name="target_accountability_known"
            ),
        ]

    def __str__(self):
        where = self.school or "cluster"
        return f"{self.indicator.code} year {self.contract_year} ({where}): {self.target}"

    @property
    def accountable_by_default(self):
        from indicators.rules import accountable_by_default

        return accountable_by_default(
            self.indicator.kind, self.contract_year, self.contract.accountable_from_year
        )

    @property
    def accountable(self):
        """Whether the target counts towards the performance status (its override, else the default)."""
        from indicators.rules import is_accountable

        return is_accountable(
            self.indicator.kind, self.contract_year, self.contract.accountable_from_year, self.accountability
        )

    def clean(self):
        errors = {}
        if (
            self.school_id
            and self.contract_id
            and not self.contract.school_links.filter(school_id=self.school_id).exists()
        ):
            errors["school"] = "The school is not covered by this contract."
        if self.indicator_id:
            # As a measurement's value (indicators/imports.py, parse_value): a finite number within
            # the portal's limit and the indicator's range, or the nightly recompute would work
            # with a target of 1e308.
            from indicators.imports import parse_value

            for name in ("baseline", "target"):
                problems = []
                if getattr(self, name) is not None:
                    parse_value(getattr(self, name), self.indicator, lambda _c, m, p=problems: p.append(m))
                if problems:
                    errors[name] = " ".join(problems)
        if errors:
            raise ValidationError(errors)


class ContractReview(models.Model):
    """An annual review of a contract."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="reviews")
    contract_year = models.PositiveSmallIntegerField()
    review_date = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    findings = models.TextField()
    recommendation = models.CharField(
        max_length=12,
        choices=[
            ("continue", "Continue"),
            ("probation", "Probation"),
            ("renew", "Renew"),
            ("terminate", "Terminate"),
        ],
    )

    objects = ContractChildQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "contract_year"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "contract_year"], name="review_one_per_year"),
            models.CheckConstraint(
                condition=Q(contract_year__gte=1, contract_year__lte=MAX_TERM_YEARS),
                name="review_year_in_term",
            ),
        ]

    def __str__(self):
        return f"Year {self.contract_year} review of {self.contract}"


class DecisionKind(models.TextChoices):
    CONTINUE = "continue", "Continue"
    PROBATION = "probation", "Place on probation"
    LIFT_PROBATION = "lift_probation", "Lift probation"
    RENEWAL = "renewal", "Renew"
    TERMINATION = "termination", "Terminate"
    COMPLETION = "completion", "Complete"


class ContractDecision(models.Model):
    """A renewal, probation or termination decision, with its rationale and the evidence (the
    indicator statuses) as they stood when it was taken."""

    contract = models.ForeignKey(PerformanceContract, on_delete=models.CASCADE, related_name="decisions")
    review = models.ForeignKey(
        ContractReview, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rationale = models.TextField()
    evidence = models.JSONField(default=list, blank=True, help_text="The indicator statuses as they stood.")
    status_change = models.OneToOneField(
        ContractStatusChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="decision"
    )

    objects = ContractChildQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "decided_on"]
        constraints = [models.CheckConstraint(condition=~Q(rationale=""), name="decision_has_rationale")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.contract} on {self.decided_on}"
