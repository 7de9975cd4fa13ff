"""Forms for logging field visits, their follow-ups, and closing a follow-up. The rules are in
partners.visits (shared with the API); these forms only read and show them."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from .models import FieldVisit, FollowUp, Organization, VisitFocus, VisitMode
from .visits import check_follow_up, check_visit, last_school, loggable_schools

# Short labels that fit a phone's width as a row of chips.
FOCUS_CHIPS = [
    (VisitFocus.INSTRUCTIONAL, "Instruction"),
    (VisitFocus.OPERATIONAL, "Operations"),
    (VisitFocus.SUPPORTING_PARTNERS, "Supporting partners"),
    (VisitFocus.DISTRICT, "District office"),
    (VisitFocus.NATIONAL_PARTNERS, "National partners"),
    (VisitFocus.FORMATIVE_ASSESSMENT, "Formative assessment"),
    (VisitFocus.PRINCIPAL_CHECK_IN, "Principal check-in"),
]


class FieldVisitForm(forms.ModelForm):
    focus = forms.MultipleChoiceField(
        choices=FOCUS_CHIPS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one focus."},
    )
    mode = forms.ChoiceField(choices=VisitMode.choices, widget=forms.RadioSelect, initial=VisitMode.ON_SITE)
    duration_minutes = forms.IntegerField(label="or minutes", required=False, min_value=1, max_value=24 * 60)

    class Meta:
        model = FieldVisit
        fields = [
            "school",
            "visit_date",
            "mode",
            "start_time",
            "end_time",
            "duration_minutes",
            "focus",
            "people_met",
            "progress",
            "barriers",
            "corrects",
        ]
        labels = {"visit_date": "Date", "start_time": "From", "end_time": "To", "people_met": "People met"}
        widgets = {
            "visit_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "people_met": forms.TextInput(attrs={"placeholder": "e.g. Principal, 3rd grade team"}),
            "progress": forms.Textarea(attrs={"rows": 2, "placeholder": "What moved forward"}),
            "barriers": forms.Textarea(attrs={"rows": 2, "placeholder": "What stands in the way"}),
            "corrects": forms.HiddenInput,
        }

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        schools = loggable_schools(user).order_by("name")
        self.fields["school"].queryset = schools
        self.fields["school"].empty_label = None if schools.count() == 1 else "Choose a school"
        self.fields["corrects"].queryset = FieldVisit.objects.visible_to(user).filter(staff=user)
        self.fields["duration_minutes"].widget.attrs.update({"inputmode": "numeric", "placeholder": "min"})
        if self.instance.pk is None and not self.is_bound:
            if not self.initial.get("visit_date"):
                self.initial["visit_date"] = timezone.localdate()
            if not self.initial.get("school"):
                self.initial["school"] = last_school(user)
        if self.instance.pk and self.instance.start_time:
            self.initial["duration_minutes"] = None  # the times say it

    def clean(self):
        data = super().clean()
        try:
            data["duration_minutes"] = check_visit(
                self.user,
                school=data.get("school"),
                visit_date=data.get("visit_date"),
                mode=data.get("mode"),
                focus=data.get("focus"),
                start_time=data.get("start_time"),
                end_time=data.get("end_time"),
                duration_minutes=data.get("duration_minutes"),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    if field in self.fields and field not in self.errors:
                        self.add_error(field, message)
                    elif field not in self.fields:
                        self.add_error(None, message)
        return data

    def _get_validation_exclusions(self):
        # Without a valid duration check_visit has said why; the model need not say it again.
        exclude = super()._get_validation_exclusions()
        if not self.cleaned_data.get("duration_minutes"):
            exclude.add("duration_minutes")
        return exclude


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["description", "owner", "due_on"]
        labels = {"description": "Follow-up", "owner": "Owner", "due_on": "Due"}
        widgets = {
            "description": forms.TextInput(attrs={"placeholder": "What needs doing"}),
            "owner": forms.TextInput(attrs={"placeholder": "Who (name or role)"}),
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class BaseFollowUpFormSet(BaseInlineFormSet):
    """Follow-ups of a visit. `visit_date` (set by the view once the visit form is clean) bounds
    their due dates."""

    visit_date = None

    def clean(self):
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            try:
                check_follow_up(self.visit_date, form.cleaned_data.get("due_on"))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error(field, messages[0])


FollowUpFormSet = inlineformset_factory(
    FieldVisit,
    FollowUp,
    form=FollowUpForm,
    formset=BaseFollowUpFormSet,
    extra=0,
    can_delete=True,
    max_num=20,
    validate_max=True,
)
FOLLOW_UP_PREFIX = "follow_ups"


class CloseFollowUpForm(forms.Form):
    closing_note = forms.CharField(
        label="Closing note",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What was done"}),
        max_length=2000,
    )


class EditWindowForm(forms.ModelForm):
    """Program staff set how long their organization's field staff may edit a logged visit."""

    class Meta:
        model = Organization
        fields = ["visit_edit_window_days"]
        labels = {"visit_edit_window_days": "Edit window (days)"}
        widgets = {
            "visit_edit_window_days": forms.NumberInput(
                attrs={"min": 0, "max": 90, "class": "portal-days-input"}
            )
        }

    def clean_visit_edit_window_days(self):
        days = self.cleaned_data["visit_edit_window_days"]
        if not 0 <= days <= 90:
            raise ValidationError("Between 0 (no edits) and 90 days.")
        return days
