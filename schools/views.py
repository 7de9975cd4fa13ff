"""Pages for schools: the list and the detail (its indicators over time, its contracts, recent
measurements and visits)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from contracts.views import visible_contracts_prefetch
from indicators.charts import school_indicator_charts
from indicators.models import Measurement
from partners.models import FieldVisit
from partners.visits import can_log_visits
from turnaround.dashboard.queries import contracts_with_status
from turnaround.roles import viewer_for
from turnaround.views import ScopedDetailView, ScopedListView

from .calendar import add_non_school_days, remove_non_school_day, school_year_start
from .forms import NonSchoolDaysForm
from .models import District, NonSchoolDay, School

RECENT_MEASUREMENTS = 20
RECENT_VISITS = 10


class SchoolListView(ScopedListView):
    template_name = "schools/school_list.html"
    context_object_name = "schools"
    paginate_by = 50

    def base_queryset(self):
        return School.objects.select_related("district__state").prefetch_related(
            visible_contracts_prefetch(self.request.user)
        )


class SchoolDetailView(ScopedDetailView):
    template_name = "schools/school_detail.html"
    context_object_name = "school"

    def base_queryset(self):
        return School.objects.select_related("district__state")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school, user = self.object, self.request.user
        context["contracts"] = contracts_with_status(user, schools=school)
        context["charts"] = school_indicator_charts(school, user)
        # Only schools the user may see are named: a feeder or receiving school can be out of scope.
        context["feeds_into"] = (
            School.objects.visible_to(user).filter(pk=school.feeds_into_id).first()
            if school.feeds_into_id
            else None
        )
        context["feeder_schools"] = School.objects.visible_to(user).filter(feeds_into=school)
        context["measurements"] = (
            Measurement.objects.visible_to(user)
            .filter(school=school)
            .select_related("indicator")
            .order_by("-period_end", "indicator__order", "indicator__code", "student_group")[
                :RECENT_MEASUREMENTS
            ]
        )
        context["visits"] = (
            FieldVisit.objects.visible_to(user)
            .filter(school=school)
            .select_related("organization", "staff")
            .prefetch_related("follow_ups")
            .order_by("-visit_date", "-id")[:RECENT_VISITS]
        )
        return context


class CalendarView(LoginRequiredMixin, TemplateView):
    """The district calendar of non-school days: district staff add and remove their district's;
    everyone else who sees a district reads its calendar."""

    template_name = "schools/calendar.html"

    def editable_district(self):
        viewer = viewer_for(self.request.user)
        return District.objects.filter(pk=viewer.district_id).first() if viewer.is_district else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        since = school_year_start(today)
        context["visit_tab"] = "calendar"
        context["can_log_visits"] = can_log_visits(self.request.user)
        context["district"] = self.editable_district()
        context.setdefault("form", NonSchoolDaysForm() if context["district"] else None)
        context["days"] = (
            NonSchoolDay.objects.visible_to(self.request.user)
            .filter(date__gte=since)
            .select_related("district__state")
            .order_by("district__name", "date")
        )
        context["since"] = since
        context["today"] = today
        return context

    def post(self, request):
        district = self.editable_district()
        if district is None:
            raise Http404("Only district staff keep a calendar.")
        if "delete" in request.POST:
            day = get_object_or_404(
                NonSchoolDay.objects.editable_by(request.user), pk=request.POST.get("delete") or 0
            )
            label = f"{day.date:%b %d, %Y}"
            remove_non_school_day(day)
            messages.success(request, f"{label} is a school day again; presence is recomputed.")
            return redirect("schools:calendar")
        form = NonSchoolDaysForm(request.POST)
        if form.is_valid():
            try:
                created = add_non_school_days(
                    district,
                    form.cleaned_data["first_day"],
                    form.cleaned_data["last_day"],
                    form.cleaned_data["description"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                plural = "s" if len(created) != 1 else ""
                messages.success(
                    request, f"{len(created)} non-school day{plural} added; presence is recomputed."
                )
                return redirect("schools:calendar")
        return self.render_to_response(self.get_context_data(form=form), status=422)
