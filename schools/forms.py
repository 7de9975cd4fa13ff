from django import forms

from .models import NonSchoolDay

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NonSchoolDaysForm(forms.Form):
    """One non-school day, or a run of them (a break): weekends in the run are skipped."""

    first_day = forms.DateField(widget=DATE)
    last_day = forms.DateField(widget=DATE, required=False, help_text="For a break of several days.")
    description = forms.CharField(
        max_length=NonSchoolDay._meta.get_field("description").max_length,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Thanksgiving break"}),
    )
