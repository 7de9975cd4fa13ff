from django import forms

from .calendar import school_year_label
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


class SchoolDaysForm(forms.Form):
    """A district's first and last day of school in one school year. The district is named in the
    form, so that a write to a district the user may only read can be told from one outside their
    scope (403 and 404)."""

    prefix = "school_days"  # the page has the non-school days' form too, with fields of the same names

    district = forms.IntegerField(widget=forms.HiddenInput)
    school_year = forms.TypedChoiceField(coerce=int, choices=[])
    first_day = forms.DateField(label="First day of school", widget=DATE)
    last_day = forms.DateField(label="Last day of school", widget=DATE)

    def __init__(self, *args, school_years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].choices = [(year, school_year_label(year)) for year in school_years]
