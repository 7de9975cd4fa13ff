"""Forms of the user's own pages."""

from django import forms

from .models import TokenScope
from .tokens import LIFETIME_CHOICES


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="What is it for?",
        help_text="E.g. the district data system or the state dashboard that will use it.",
    )
    lifetime_days = forms.TypedChoiceField(
        choices=LIFETIME_CHOICES, coerce=int, initial=90, label="Valid for"
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ_ONLY,
        label="May",
        help_text="Read only: the system can read what you can read, and the API refuses its writes.",
    )
