"""Priority partner designations, managed by state staff in the browser: a state vets an
organization as a priority partner for service areas, from a date, until it expires or is ended,
on the evidence of its track record (DESIGN.md: state staff manage priority designations)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Layout, Row, Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from schools.models import State
from turnaround.roles import viewer_for
from turnaround.views import scoped_object_or_404

from .models import Organization, PriorityPartnerDesignation, ServiceArea


def can_designate(user):
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_state


class DesignationForm(forms.ModelForm):
    service_areas = forms.ModelMultipleChoiceField(
        queryset=ServiceArea.objects.order_by("name"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PriorityPartnerDesignation
        fields = ["state", "service_areas", "designated_on", "expires_on", "evidence"]
        widgets = {
            "designated_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
            "evidence": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"expires_on": "Leave empty for no end date; set it to end a designation."}

    def __init__(self, *args, user, cancel_url, **kwargs):
        super().__init__(*args, **kwargs)
        viewer = viewer_for(user)
        states = State.objects.order_by("name")
        if not viewer.is_admin:
            states = states.filter(pk=viewer.state_id)
            self.fields["state"].initial = viewer.state_id
        self.fields["state"].queryset = states
        self.fields["state"].empty_label = None
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(
                Column("state", css_class="col-md-4"),
                Column("designated_on", css_class="col-md-4"),
                Column("expires_on", css_class="col-md-4"),
            ),
            "service_areas",
            "evidence",
            Div(
                Submit("submit", "Save the designation", css_class="btn-primary"),
                HTML(f'<a href="{cancel_url}" class="btn btn-link">Cancel</a>'),
                css_class="mt-3",
            ),
        )

    def clean(self):
        cleaned = super().clean()
        state, day = cleaned.get("state"), cleaned.get("designated_on")
        duplicate = PriorityPartnerDesignation.objects.filter(
            state=state, organization=self.instance.organization, designated_on=day
        ).exclude(pk=self.instance.pk)
        expires = cleaned.get("expires_on")
        if day and expires and expires <= day:
            self.add_error("expires_on", "A designation expires after the day it starts.")
        if state and day and duplicate.exists():
            self.add_error(
                "designated_on", "This organization already has a designation in this state from that day."
            )
        return cleaned


class DesignationView(LoginRequiredMixin, View):
    """Create (for an organization) or edit (one designation) a priority partner designation.
    Out of scope is 404; a role other than state staff (or an administrator) is 403; state staff
    designate for their own state only."""

    template_name = "partners/designation_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.designation = None

    def objects(self, request, **kwargs):
        if "designation" in kwargs:
            designation = scoped_object_or_404(
                PriorityPartnerDesignation.objects.select_related("organization", "state"),
                request.user,
                pk=kwargs["designation"],
            )
            self.designation = designation
            organization = designation.organization
        else:
            organization = scoped_object_or_404(Organization, request.user, pk=kwargs["pk"])
        if not can_designate(request.user):
            raise PermissionDenied("Priority partner designations are managed by state staff.")
        return organization

    def form(self, request, organization, data=None):
        return DesignationForm(
            data,
            instance=self.designation or PriorityPartnerDesignation(organization=organization),
            user=request.user,
            cancel_url=reverse("partners:detail", args=[organization.pk]),
        )

    def render_form(self, request, organization, form, status=200):
        context = {"organization": organization, "form": form, "designation": self.designation}
        return render(request, self.template_name, context, status=status)

    def get(self, request, **kwargs):
        organization = self.objects(request, **kwargs)
        return self.render_form(request, organization, self.form(request, organization))

    def post(self, request, **kwargs):
        organization = self.objects(request, **kwargs)
        form = self.form(request, organization, request.POST)
        if not form.is_valid():
            return self.render_form(request, organization, form, status=400)
        with transaction.atomic():
            designation = form.save(commit=False)
            designation.organization = organization
            if designation.designated_by_id is None:
                designation.designated_by = request.user
            designation.save()
            form.save_m2m()
        messages.success(request, f"{organization} is a priority partner in {designation.state}.")
        return redirect("partners:detail", pk=organization.pk)
