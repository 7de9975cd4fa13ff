"""The dashboard's filters, search and sort orders (django-filter), shared by the page and its
CSV export so that the export is exactly the list on the screen."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from contracts.models import ContractSchool, LifecycleStatus, PerformanceContract, Phase
from indicators.models import PerformanceStatus
from partners.models import Organization
from schools.models import District

NOT_COMPUTED = "not_computed"
PERFORMANCE_CHOICES = [*PerformanceStatus.choices, (NOT_COMPUTED, "Not computed yet")]

# (query value, label, ordering expressions): the sort orders offered on the page. The contract id
# comes last in each so that pages never overlap.
SORTS = {
    "performance": ("Most urgent first", ["performance_rank", "name", "pk"]),
    "name": ("Contract name", ["name", "pk"]),
    "district": ("District", ["district__name", "name", "pk"]),
    "partner": ("Lead Partner", ["lead_partner__name", "name", "pk"]),
    "phase": ("Phase", ["phase_rank", "start_date", "name", "pk"]),
    "lifecycle": ("Lifecycle status", ["lifecycle_rank", "name", "pk"]),
    "start": ("Start date (newest first)", ["-start_date", "name", "pk"]),
    "end": ("End date (soonest first)", ["end_date", "name", "pk"]),
}
DEFAULT_SORT = "performance"
MAX_SEARCH = 200


class ContractDashboardFilter(django_filters.FilterSet):
    """Filters over a queryset from `dashboard.queries.dashboard_contracts` (which annotates the
    phase and performance status). The district and partner choices are the user's scope only."""

    # At most MAX_SEARCH characters (docs/operations.md, "Bad input"): each word is a clause of
    # the query, and SQLite refuses a LIKE pattern past 50,000 bytes.
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        max_length=MAX_SEARCH,
        widget=forms.TextInput(attrs={"placeholder": "Contract, reference, school, district or partner"}),
    )
    district = django_filters.ModelChoiceFilter(
        queryset=District.objects.none(), empty_label="All districts", label="District"
    )
    partner = django_filters.ModelChoiceFilter(
        field_name="lead_partner",
        queryset=Organization.objects.none(),
        empty_label="All Lead Partners",
        label="Lead Partner",
    )
    phase = django_filters.ChoiceFilter(choices=Phase.choices, empty_label="Any phase", label="Phase")
    lifecycle_status = django_filters.ChoiceFilter(
        choices=LifecycleStatus.choices, empty_label="Any lifecycle status", label="Lifecycle status"
    )
    performance_status = django_filters.ChoiceFilter(
        choices=PERFORMANCE_CHOICES,
        method="filter_performance",
        empty_label="Any performance",
        label="Performance",
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        method="sort_by",
        empty_label=None,
        label="Sort by",
    )

    class Meta:
        model = PerformanceContract
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user if request else None
        visible = PerformanceContract.objects.visible_to(user)
        self.filters["district"].queryset = District.objects.visible_to(user).select_related("state")
        self.filters["partner"].queryset = Organization.objects.filter(
            pk__in=visible.values("lead_partner_id")
        ).order_by("name")

    @property
    def form(self):
        """The filter form with Bootstrap's classes on its widgets: a filter bar renders on every
        page load, and plain widgets render several times faster than crispy's field templates."""
        form = super().form
        if not getattr(form, "_styled", False):
            for field in form.fields.values():
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = css
            form._styled = True
        return form

    def search(self, queryset, name, value):
        words = value.split()
        for word in words:
            school_match = ContractSchool.objects.filter(
                Q(school__name__icontains=word) | Q(school__state_id__iexact=word), contract=OuterRef("pk")
            )
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(reference__icontains=word)
                | Q(district__name__icontains=word)
                | Q(lead_partner__name__icontains=word)
                | Q(lead_partner__short_name__icontains=word)
                | Q(cluster__name__icontains=word)
                | Exists(school_match)
            )
        return queryset

    def filter_performance(self, queryset, name, value):
        if value == NOT_COMPUTED:
            return queryset.filter(performance__isnull=True)
        return queryset.filter(performance__performance_status=value)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in `qs`, so that a missing or bad value still sorts

    @property
    def qs(self):
        queryset = super().qs
        sort = self.form.cleaned_data.get("sort") if self.is_bound and self.form.is_valid() else None
        return queryset.order_by(*SORTS[sort or DEFAULT_SORT][1])
