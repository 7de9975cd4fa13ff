from django import forms
from django.db.models import Q

from .models import Source, Verification


class MeasurementImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        help_text="Columns: school_id, indicator, period_start, period_end, value (and optionally "
        "student_group). One row per school, indicator and period.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        # An empty, oversized or unreadable file is refused by the import itself, which records
        # why (indicators/imports.py); the form only asks for a file.
        allow_empty_file=True,
    )


class MeasurementFilterForm(forms.Form):
    """The filters of the values page; choices limited to what the user may see."""

    school = forms.CharField(
        required=False,
        max_length=100,
        label="School",
        widget=forms.TextInput(attrs={"placeholder": "Name or state id", "type": "search"}),
    )
    indicator = forms.ModelChoiceField(queryset=None, required=False, empty_label="All indicators")
    verification = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False)
    contract = forms.IntegerField(required=False, widget=forms.HiddenInput)
    ends_from = forms.DateField(
        required=False, label="Period ends from", widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators
        self.fields["verification"].choices = [("", "Any state"), *Verification.choices]
        self.fields["source"].choices = [("", "Any source"), *Source.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("ends_from"), cleaned.get("ends_to")
        if start and end and end < start:
            self.add_error("ends_to", "The end of the range is before its start.")
        return cleaned

    def filter(self, queryset):
        data = self.cleaned_data
        school = (data.get("school") or "").strip()
        if school:
            queryset = queryset.filter(Q(school__name__icontains=school) | Q(school__state_id__iexact=school))
        if data.get("indicator"):
            queryset = queryset.filter(indicator=data["indicator"])
        if data.get("verification"):
            queryset = queryset.filter(verification=data["verification"])
        if data.get("source"):
            queryset = queryset.filter(source=data["source"])
        if data.get("contract"):
            queryset = queryset.filter(school__contract_links__contract_id=data["contract"])
        if data.get("ends_from"):
            queryset = queryset.filter(period_end__gte=data["ends_from"])
        if data.get("ends_to"):
            queryset = queryset.filter(period_end__lte=data["ends_to"])
        return queryset


class DisputeForm(forms.Form):
    text = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What is wrong with this value, and what would settle it"}
        ),
    )


class AnswerForm(forms.Form):
    value = forms.CharField(label="Corrected value", required=False, max_length=40)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("value") or "").strip() and not (cleaned.get("comment") or "").strip():
            raise forms.ValidationError("Give a corrected value, a comment, or both.")
        return cleaned
