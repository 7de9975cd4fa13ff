"""Forms of the contract workflow: RFPs, proposals and their selection, contract terms, schools,
autonomies, responsibilities, checklist, the target grid, transitions, reviews and decisions."""

from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from indicators.imports import MAX_ABS_VALUE
from indicators.rules import accountable_by_default
from partners.models import Organization
from schools.models import Cluster, District, School
from turnaround.roles import viewer_for

from .models import (
    ALLOWED_TRANSITIONS,
    MAX_TERM_YEARS,
    MIN_TERM_YEARS,
    Accountability,
    Authority,
    ContractAutonomy,
    ContractResponsibility,
    ContractReview,
    ContractSchool,
    DecisionKind,
    LifecycleStatus,
    PerformanceContract,
    PreLaunchChecklistItem,
    Proposal,
    ProposalStatus,
    Rfp,
    RfpStatus,
    add_years,
    contract_dates_in_range,
    term_years,
    validate_contract_date,
)
from .rubric import CRITERIA, RATINGS
from .services import DECISION_TRANSITIONS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def with_initial(kwargs, defaults):
    """Form kwargs whose initial values start from `defaults` (FormView passes an empty dict)."""
    kwargs["initial"] = {**defaults, **(kwargs.get("initial") or {})}


def helper(submit_label, *layout, cancel_url=None):
    """A crispy helper: the layout, then the submit button (and a cancel link)."""
    form_helper = FormHelper()
    cancel = f'<a href="{cancel_url}" class="btn btn-link">Cancel</a>' if cancel_url else ""
    form_helper.layout = Layout(
        *layout,
        Div(Submit("submit", submit_label, css_class="btn-primary"), HTML(cancel), css_class="mt-3"),
    )
    return form_helper


class SchoolChoiceField(forms.ModelMultipleChoiceField):
    """Schools with their district, level and whether another contract in force holds them."""

    def label_from_instance(self, school):
        held = " · under a contract in force" if getattr(school, "held", False) else ""
        level = f"{school.get_level_display()}, grades {school.grade_span}"
        return f"{school.name} ({school.district.name} · {level}){held}"


def schools_with_hold(queryset, exclude_contract=None):
    """Schools annotated with `held`: under a contract in force (other than `exclude_contract`)."""
    links = ContractSchool.objects.filter(school=OuterRef("pk"), in_force=True)
    if exclude_contract is not None:
        links = links.exclude(contract=exclude_contract)
    return queryset.select_related("district__state").annotate(held=Exists(links)).order_by("name")


# RFPs and proposals --------------------------------------------------------------------------------


class RfpForm(forms.ModelForm):
    """An RFP for a set of schools. District staff issue them for their district; state staff for a
    district of their state, with the state as authority."""

    schools = SchoolChoiceField(queryset=School.objects.none(), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Rfp
        fields = [
            "district",
            "authority",
            "title",
            "description",
            "selection_criteria",
            "schools",
            "issued_on",
            "proposals_due_on",
            "status",
        ]
        widgets = {
            "issued_on": DateInput(),
            "proposals_due_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "selection_criteria": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "selection_criteria": "What proposals are judged on; the scoring rubric adds the self-audit.",
        }

    def __init__(self, *args, user, cancel_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        viewer = viewer_for(user)
        districts = District.objects.visible_to(user).select_related("state")
        schools = School.objects.visible_to(user)
        if viewer.is_district:
            self.fields.pop("district")
            self.fields.pop("authority")
            self.instance.district_id = viewer.district_id
            self.instance.authority = Authority.DISTRICT
        elif viewer.is_state:
            self.fields["district"].queryset = districts
            self.fields.pop("authority")
            self.instance.authority = Authority.STATE
        else:
            self.fields["district"].queryset = districts
        if self.instance.pk:
            # The district of an RFP stays; its schools come from that district.
            self.fields.pop("district", None)
            schools = schools.filter(district_id=self.instance.district_id)
        self.fields["schools"].queryset = schools_with_hold(schools)
        self.fields["status"].choices = [
            (value, label) for value, label in RfpStatus.choices if value != RfpStatus.AWARDED
        ] + (
            [(RfpStatus.AWARDED, RfpStatus.AWARDED.label)]
            if self.instance.status == RfpStatus.AWARDED
            else []
        )
        if self.instance.status == RfpStatus.AWARDED:
            self.fields["status"].disabled = True
        fields = [name for name in ("district", "authority") if name in self.fields]
        self.helper = helper(
            "Save RFP",
            Row(*[Column(name, css_class="col-md-6") for name in fields]) if fields else HTML(""),
            "title",
            Row(
                Column("description", css_class="col-md-6"),
                Column("selection_criteria", css_class="col-md-6"),
            ),
            Field("schools", wrapper_class="school-checklist"),
            Row(
                Column("issued_on", css_class="col-md-4"),
                Column("proposals_due_on", css_class="col-md-4"),
                Column("status", css_class="col-md-4"),
            ),
            cancel_url=cancel_url,
        )

    def clean(self):
        cleaned = super().clean()
        district = cleaned.get("district") or (
            District(pk=self.instance.district_id) if self.instance.district_id else None
        )
        schools = cleaned.get("schools")
        if district and schools:
            outside = sorted(s.name for s in schools if s.district_id != district.pk)
            if outside:
                self.add_error("schools", f"Not in the RFP's district: {', '.join(outside)}.")
        return cleaned


class ProposalForm(forms.ModelForm):
    """A proposal received, rated on the rubric; the self-audit's rating is computed on save."""

    class Meta:
        model = Proposal
        fields = [
            "organization",
            "submitted_on",
            "summary",
            *[c.field for c in CRITERIA],
            "reviewer_notes",
            "status",
        ]
        widgets = {
            "submitted_on": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "reviewer_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, rfp, user, cancel_url=None, self_audit_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rfp = rfp
        self.instance.rfp = rfp
        self.fields["organization"].queryset = Organization.objects.visible_to(user)
        self.fields["organization"].label_from_instance = lambda organization: organization.name
        self.fields["organization"].widget.attrs.update(
            {"hx-get": self_audit_url, "hx-target": "#self-audit-preview", "hx-trigger": "change"}
            if self_audit_url
            else {}
        )
        for criterion in CRITERIA:
            field = self.fields[criterion.field]
            field.widget = forms.Select(choices=[("", "Not rated yet")] + RATINGS)
            field.label = f"{criterion.label} ({criterion.weight} points)"
            field.help_text = criterion.help_text
        selectable = [ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW, ProposalStatus.WITHDRAWN]
        if self.instance.status in (ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED):
            selectable.append(self.instance.status)
        self.fields["status"].choices = [(v, label) for v, label in ProposalStatus.choices if v in selectable]
        if self.instance.status == ProposalStatus.SELECTED:
            self.fields["status"].disabled = True
            self.fields["organization"].disabled = True
        if not self.instance.pk and not self.initial.get("submitted_on"):
            self.initial["submitted_on"] = timezone.localdate()
        self.helper = helper(
            "Save proposal",
            Row(Column("organization", css_class="col-md-8"), Column("submitted_on", css_class="col-md-4")),
            HTML('<div id="self-audit-preview">{% include "contracts/self_audit_preview.html" %}</div>'),
            "summary",
            Fieldset(
                "Scoring rubric",
                Row(*[Column(c.field, css_class="col-md-6 col-xl-4") for c in CRITERIA]),
                css_class="rubric",
            ),
            "reviewer_notes",
            Row(Column("status", css_class="col-md-4")),
            cancel_url=cancel_url,
        )

    def clean_organization(self):
        organization = self.cleaned_data["organization"]
        taken = Proposal.objects.filter(rfp=self.rfp, organization=organization).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"{organization} already has a proposal for this RFP: edit that one.")
        return organization


def next_school_year_start(today=None):
    today = today or timezone.localdate()
    year = today.year + 1 if today >= date(today.year, 7, 1) else today.year
    return date(year, 7, 1)


class SelectProposalForm(forms.Form):
    """Selecting a proposal drafts the contract: its reference, name, cluster and term."""

    reference = forms.CharField(max_length=40, help_text="The authority's contract number.")
    name = forms.CharField(max_length=200)
    cluster = forms.ModelChoiceField(
        queryset=Cluster.objects.none(),
        required=False,
        empty_label="A new cluster of the RFP's schools",
        help_text="An existing cluster of the district, or a new one made of the RFP's schools.",
    )
    new_cluster_name = forms.CharField(max_length=200, required=False, label="Name of the new cluster")
    start_date = forms.DateField(
        widget=DateInput(), help_text="The first day of contract year 1.", validators=[validate_contract_date]
    )
    end_date = forms.DateField(
        widget=DateInput(),
        help_text="The last day of the term: 3 to 5 years.",
        validators=[validate_contract_date],
    )

    def __init__(self, *args, proposal, cancel_url=None, **kwargs):
        rfp = proposal.rfp
        start = next_school_year_start()
        with_initial(
            kwargs,
            {
                "name": f"{proposal.organization} {rfp.title}"[:200],
                "new_cluster_name": rfp.title[:200],
                "start_date": start,
                "end_date": add_years(start, MAX_TERM_YEARS) - timedelta(days=1),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = Cluster.objects.filter(district_id=rfp.district_id)
        self.helper = helper(
            "Select and draft the contract",
            Row(Column("reference", css_class="col-md-4"), Column("name", css_class="col-md-8")),
            Row(Column("cluster", css_class="col-md-6"), Column("new_cluster_name", css_class="col-md-6")),
            Row(Column("start_date", css_class="col-md-6"), Column("end_date", css_class="col-md-6")),
            cancel_url=cancel_url,
        )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if PerformanceContract.objects.filter(reference=reference).exists():
            raise forms.ValidationError(f"A contract with the reference {reference} exists already.")
        return reference

    def clean(self):
        cleaned = super().clean()
        _check_term(self, cleaned.get("start_date"), cleaned.get("end_date"))
        if not cleaned.get("cluster") and not (cleaned.get("new_cluster_name") or "").strip():
            self.add_error("new_cluster_name", "Name the new cluster, or choose an existing one.")
        return cleaned


def _check_term(form, start, end):
    if contract_dates_in_range(start, end) and term_years(start, end) is None:
        three = add_years(start, MIN_TERM_YEARS) - timedelta(days=1)
        five = add_years(start, MAX_TERM_YEARS) - timedelta(days=1)
        form.add_error(
            "end_date",
            f"A performance contract runs {MIN_TERM_YEARS} to {MAX_TERM_YEARS} years and ends the day "
            f"before an anniversary of its start: from {start:%Y-%m-%d}, between {three:%Y-%m-%d} and "
            f"{five:%Y-%m-%d}.",
        )


# Contract terms and what the contract carries -----------------------------------------------------


class ContractTermsForm(forms.ModelForm):
    class Meta:
        model = PerformanceContract
        fields = list(PerformanceContract.TERMS)
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "mou_signed_on": DateInput(),
            "signed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "per_pupil_allocation": "Per-pupil allocation ($)",
            "improvement_grant_amount": "Improvement grant ($)",
        }

    def __init__(self, *args, cancel_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_track_threshold"].help_text = "Progress at or above this is on track (0-1)."
        self.fields["at_risk_threshold"].help_text = "Progress at or above this is at risk (0-1)."
        self.fields["improvement_margin"].help_text = (
            "0-1: a miss that closed at least this share of last year's gap to the target counts as on "
            "track, by improvement (0.1: a tenth of the gap); 0 or empty turns it off."
        )
        self.fields["improvement_margin"].required = False
        self.helper = helper(
            "Save terms",
            Row(Column("reference", css_class="col-md-4"), Column("name", css_class="col-md-8")),
            Fieldset(
                "Term",
                Row(
                    Column("start_date", css_class="col-md-3"),
                    Column("end_date", css_class="col-md-3"),
                    Column("mou_signed_on", css_class="col-md-3"),
                    Column("signed_on", css_class="col-md-3"),
                ),
            ),
            Fieldset(
                "Funding",
                Row(
                    Column("per_pupil_allocation", css_class="col-md-4"),
                    Column("central_office_share_pct", css_class="col-md-4"),
                    Column("improvement_grant_amount", css_class="col-md-4"),
                ),
            ),
            Fieldset(
                "Accountability",
                Row(
                    Column("accountable_from_year", css_class="col-md-3"),
                    Column("on_track_threshold", css_class="col-md-3"),
                    Column("at_risk_threshold", css_class="col-md-3"),
                    Column("improvement_margin", css_class="col-md-3"),
                ),
            ),
            "notes",
            cancel_url=cancel_url,
        )

    def clean(self):
        cleaned = super().clean()
        # The term itself (3-5 years) is checked by the model's clean().
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        on_track, at_risk = cleaned.get("on_track_threshold"), cleaned.get("at_risk_threshold")
        if on_track is not None and not 0 < on_track <= 1:
            self.add_error("on_track_threshold", "Between 0 and 1 (0.75 is 75% of the way to the target).")
        if at_risk is not None and not 0 <= at_risk < 1:
            self.add_error("at_risk_threshold", "Between 0 and 1 (0.25 is 25% of the way to the target).")
        margin = cleaned.get("improvement_margin")
        if margin is None and "improvement_margin" not in self.errors:
            cleaned["improvement_margin"] = margin = 0.0  # empty: off
        if margin is not None and not 0 <= margin <= 1:
            self.add_error("improvement_margin", "Between 0 and 1 (0.1 is a tenth of last year's gap).")
        if on_track is not None and at_risk is not None and at_risk >= on_track:
            self.add_error("at_risk_threshold", "The at-risk threshold must be below the on-track threshold.")
        years = term_years(start, end) if start and end else None
        accountable = cleaned.get("accountable_from_year")
        if years and accountable and not 1 <= accountable <= years:
            self.add_error("accountable_from_year", f"A contract year of the term: 1 to {years}.")
        return cleaned


class ContractSchoolsForm(forms.Form):
    schools = SchoolChoiceField(queryset=School.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, contract, cancel_url=None, **kwargs):
        with_initial(kwargs, {"schools": list(contract.school_links.values_list("school_id", flat=True))})
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools_with_hold(
            School.objects.filter(district_id=contract.district_id), exclude_contract=contract
        )
        self.fields["schools"].help_text = (
            "The schools of the contract's district. A school under another contract in force can be "
            "added to a draft, but the contract cannot go into force while the other one holds it."
        )
        self.helper = helper(
            "Save schools", Field("schools", wrapper_class="school-checklist"), cancel_url=cancel_url
        )


class AutonomyForm(forms.ModelForm):
    class Meta:
        model = ContractAutonomy
        fields = ["grant", "notes"]
        widgets = {"grant": forms.RadioSelect, "notes": forms.TextInput(attrs={"placeholder": "Notes"})}


class ResponsibilityForm(forms.ModelForm):
    class Meta:
        model = ContractResponsibility
        fields = ["owner", "notes"]
        widgets = {"owner": forms.RadioSelect, "notes": forms.TextInput(attrs={"placeholder": "Notes"})}


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = PreLaunchChecklistItem
        fields = ["due_on", "done_on", "notes"]
        widgets = {
            "due_on": DateInput(),
            "done_on": DateInput(),
            "notes": forms.TextInput(attrs={"placeholder": "Notes"}),
        }

    def clean_done_on(self):
        done_on = self.cleaned_data.get("done_on")
        if done_on and done_on > timezone.localdate():
            raise forms.ValidationError("A task cannot be done in the future.")
        return done_on


class ContractRowsFormSet(forms.BaseModelFormSet):
    """Edits the rows a contract carries (its queryset) and never adds one.

    The page's form counts can be tampered with: a TOTAL_FORMS above the rows (each extra form a
    row with no contract or item) is a formset error, no form is built past the rows, and the
    INITIAL_FORMS the page sends is ignored (a lowered one would make rows look new)."""

    default_error_messages = {
        "too_many_forms": "This page edits the contract's %(num)d rows and cannot add any; "
        "reload it and try again."
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validate_max = True
        self.max_num = self.absolute_max = len(self.get_queryset())

    def initial_form_count(self):
        return len(self.get_queryset())


def contract_rows_formset(model, form):
    return forms.modelformset_factory(model, form=form, formset=ContractRowsFormSet, extra=0, edit_only=True)


AutonomyFormSet = contract_rows_formset(ContractAutonomy, AutonomyForm)
ResponsibilityFormSet = contract_rows_formset(ContractResponsibility, ResponsibilityForm)
ChecklistFormSet = contract_rows_formset(PreLaunchChecklistItem, ChecklistItemForm)


class TargetGridForm(forms.Form):
    """One scope's targets (cluster-wide or one school): a baseline per indicator, and per indicator
    and contract year a target with its accountability (the default of the seed's timeline, or
    accountable, or monitored). Empty targets are removed."""

    def __init__(
        self, *args, indicators, years, existing, computed_baselines, accountable_from_year, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.indicators, self.years = indicators, years
        self.rows = []
        for indicator in indicators:
            baseline_name = f"baseline-{indicator.pk}"
            own = [t for (i, _), t in existing.items() if i == indicator.pk and t.baseline is not None]
            computed = computed_baselines.get(indicator.pk)
            self.fields[baseline_name] = forms.FloatField(
                required=False,
                initial=own[0].baseline if own else computed,
                label=f"{indicator.name} baseline",
            )
            cells = []
            for year in years:
                name = f"target-{indicator.pk}-{year}"
                row = existing.get((indicator.pk, year))
                self.fields[name] = forms.FloatField(
                    required=False,
                    initial=row.target if row else None,
                    label=f"{indicator.name} target, year {year}",
                )
                by_default = accountable_by_default(indicator.kind, year, accountable_from_year)
                default_label = "Default: accountable" if by_default else "Default: monitored"
                choice = f"accountability-{indicator.pk}-{year}"
                self.fields[choice] = forms.ChoiceField(
                    choices=[
                        (Accountability.DEFAULT, default_label),
                        (Accountability.ACCOUNTABLE, "Accountable"),
                        (Accountability.MONITORED, "Monitored"),
                    ],
                    required=False,
                    initial=row.accountability if row else Accountability.DEFAULT,
                    label=f"{indicator.name} year {year}: accountable or monitored",
                )
                cells.append(
                    {
                        "year": year,
                        "field": self[name],
                        "accountability": self[choice],
                        "accountable_by_default": by_default,
                    }
                )
            self.rows.append(
                {
                    "indicator": indicator,
                    "baseline": self[baseline_name],
                    "computed_baseline": computed,
                    "cells": cells,
                }
            )

    def clean(self):
        cleaned = super().clean()
        for indicator in self.indicators:
            names = [f"baseline-{indicator.pk}"] + [f"target-{indicator.pk}-{y}" for y in self.years]
            for name in names:
                value = cleaned.get(name)
                if value is None:
                    continue
                if abs(value) > MAX_ABS_VALUE:
                    self.add_error(name, f"At most {MAX_ABS_VALUE:,.0f} either side of zero.")
                elif indicator.min_value is not None and value < indicator.min_value:
                    self.add_error(name, f"At least {indicator.min_value:g} for {indicator.name}.")
                elif indicator.max_value is not None and value > indicator.max_value:
                    self.add_error(name, f"At most {indicator.max_value:g} for {indicator.name}.")
        return cleaned

    def baselines(self):
        return {i.pk: self.cleaned_data.get(f"baseline-{i.pk}") for i in self.indicators}

    def targets(self):
        return {
            (i.pk, year): self.cleaned_data.get(f"target-{i.pk}-{year}")
            for i in self.indicators
            for year in self.years
        }

    def accountabilities(self):
        """(indicator id, contract year) -> the accountability chosen (an empty choice: default)."""
        return {
            (i.pk, year): self.cleaned_data.get(f"accountability-{i.pk}-{year}") or Accountability.DEFAULT
            for i in self.indicators
            for year in self.years
        }


# Lifecycle, reviews and decisions ---------------------------------------------------------------


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="New status")
    effective_on = forms.DateField(widget=DateInput(), help_text="The day the new status takes effect.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the status changes.")

    def __init__(self, *args, contract, cancel_url=None, **kwargs):
        with_initial(kwargs, {"effective_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        labels = dict(LifecycleStatus.choices)
        allowed = sorted(ALLOWED_TRANSITIONS[contract.lifecycle_status])
        self.fields["to_status"].choices = [(s, labels[s]) for s in allowed]
        self.helper = helper(
            "Change status",
            Row(Column("to_status", css_class="col-md-6"), Column("effective_on", css_class="col-md-6")),
            "reason",
            cancel_url=cancel_url,
        )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the status changes.")
        return reason


class ReviewForm(forms.ModelForm):
    class Meta:
        model = ContractReview
        fields = ["contract_year", "review_date", "findings", "recommendation"]
        widgets = {"review_date": DateInput(), "findings": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, contract, cancel_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.instance.contract = contract
        years = contract.term_years or MAX_TERM_YEARS
        self.fields["contract_year"] = forms.TypedChoiceField(
            coerce=int, choices=[(y, f"Year {y}") for y in range(1, years + 1)], label="Contract year"
        )
        if not self.instance.pk:
            self.initial["review_date"] = self.initial.get("review_date") or timezone.localdate()
            _, year = contract.phase_on(timezone.localdate())
            if year and not self.initial.get("contract_year"):
                self.initial["contract_year"] = year
        self.helper = helper(
            "Save review",
            Row(
                Column("contract_year", css_class="col-md-4"),
                Column("review_date", css_class="col-md-4"),
                Column("recommendation", css_class="col-md-4"),
            ),
            "findings",
            cancel_url=cancel_url,
        )

    def clean_contract_year(self):
        year = self.cleaned_data["contract_year"]
        taken = ContractReview.objects.filter(contract=self.contract, contract_year=year).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(f"The year {year} review is recorded already: edit it instead.")
        return year


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label="Decision")
    decided_on = forms.DateField(widget=DateInput(), help_text="Also the day a status change takes effect.")
    review = forms.ModelChoiceField(
        queryset=ContractReview.objects.none(), required=False, label="After review"
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    verified_only = forms.BooleanField(
        required=False,
        label="Evidence from verified values only",
        help_text="Statuses computed now from the values the district has verified; reported and "
        "disputed values are left out.",
    )

    def __init__(self, *args, contract, cancel_url=None, **kwargs):
        with_initial(kwargs, {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_TRANSITIONS[contract.lifecycle_status]
        self.fields["kind"].choices = [
            (kind, label)
            for kind, label in DecisionKind.choices
            if DECISION_TRANSITIONS[kind] is None or DECISION_TRANSITIONS[kind] in allowed
        ]
        self.fields["review"].queryset = ContractReview.objects.filter(contract=contract).order_by(
            "-contract_year"
        )
        self.fields["review"].label_from_instance = lambda r: (
            f"Year {r.contract_year} review ({r.review_date:%b %-d, %Y})"
        )
        self.helper = helper(
            "Record decision",
            Row(
                Column("kind", css_class="col-md-4"),
                Column("decided_on", css_class="col-md-4"),
                Column("review", css_class="col-md-4"),
            ),
            "rationale",
            "verified_only",
            HTML(
                '<p class="small text-body-secondary"><i class="bi bi-camera" aria-hidden="true"></i> '
                "The contract's indicator statuses and values as they stand now are kept with the "
                "decision.</p>"
            ),
            cancel_url=cancel_url,
        )

    def clean_rationale(self):
        rationale = self.cleaned_data["rationale"].strip()
        if not rationale:
            raise forms.ValidationError("Give the rationale of the decision.")
        return rationale
