"""Pages for schools: the list and the detail (its indicators over time, its contracts, recent
measurements and visits)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from contracts.views import visible_contracts_prefetch
from indicators.charts import school_indicator_charts
from indicators.models import Measurement
from partners.models import FieldVisit
from partners.visits import can_log_visits
from turnaround import histories
from turnaround.dashboard.queries import contracts_with_status
from turnaround.roles import viewer_for
from turnaround.views import ScopedDetailView, ScopedListView

from .calendar import (
    add_non_school_days,
    remove_non_school_day,
    school_days,
    school_days_seen_by,
    school_year_label,
    school_year_of,
    school_year_start,
    set_school_days,
)
from .forms import NonSchoolDaysForm, SchoolDaysForm
from .models import District, NonSchoolDay, School

RECENT_MEASUREMENTS = 20
RECENT_VISITS = 10
# The largest id a row can have (a bigger number in a form is no row, not a database error).
MAX_ID = 2**63 - 1


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
        context["history"] = school_history(school, user)
        return context


def school_history(school, user):
    """The school record's changes (enrolment and the rest). A feeder school is named only where
    the user may see it, as on the page."""
    visible, labels = School.objects.visible_to(user), {}

    def school_label(pk):
        if pk not in labels:
            found = visible.filter(pk=pk).first()
            labels[pk] = found.name if found else "a school outside your view"
        return labels[pk]

    source = histories.Source(
        records=School.history.filter(id=school.pk),
        kind="School",
        name_of=lambda r: r.name,
        fields=histories.shown_fields(School),
        labels={"feeds_into": school_label},
    )
    return histories.history_entries([source])


class CalendarView(LoginRequiredMixin, TemplateView):
    """The district calendar: its non-school days and, per school year, its first and last day of
    school. District staff keep their district's; everyone else who sees a district reads its
    calendar."""

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
        context["history"] = histories.history_entries(
            [
                histories.Source(
                    records=NonSchoolDay.history.filter(
                        district_id__in=District.objects.visible_to(self.request.user).values("pk")
                    ),
                    kind="Non-school day",
                    name_of=lambda r: f"{r.date:%b %-d, %Y}",
                    fields=["district", "date", "description"],
                    related=["district"],
                )
            ]
        )
        # The current school year and the next, and any other a district has set.
        this_year = school_year_of(today)
        context["school_days"] = school_days_seen_by(self.request.user, [this_year, this_year + 1])
        context["editable_school_years"] = editable_school_years(today)
        if context["district"] and "school_days_form" not in context:
            context["school_days_form"] = self.school_days_form(context["district"], today)
        return context

    def school_days_form(self, district, today):
        """The form for the days of school, filled in with the current days of the school year the
        page was asked for (`?school_year=2027`), else of the current one."""
        years = editable_school_years(today)
        year = number_or_zero(self.request.GET.get("school_year"))
        year = year if year in years else school_year_of(today)
        first, last = school_days(district.pk, year)
        initial = {"district": district.pk, "school_year": year, "first_day": first, "last_day": last}
        return SchoolDaysForm(initial=initial, school_years=years)

    def post(self, request):
        if any(key.startswith(f"{SchoolDaysForm.prefix}-") for key in request.POST):
            return self.post_school_days(request)
        district = self.editable_district()
        if "delete" in request.POST:
            pk = request.POST.get("delete", "")
            if not (pk.isascii() and pk.isdigit() and int(pk) <= MAX_ID):
                return HttpResponseBadRequest(
                    "Say which non-school day to remove (its number).",
                    content_type="text/plain; charset=utf-8",
                )
            # 404 for a day the user may not see; 403 for one they see but may not change.
            day = get_object_or_404(NonSchoolDay.objects.visible_to(request.user), pk=int(pk))
            editable = NonSchoolDay.objects.editable_by(request.user).filter(pk=day.pk).exists()
            if district is None or not editable:
                raise PermissionDenied("Only the district's own staff change its calendar.")
            label = f"{day.date:%b %d, %Y}"
            remove_non_school_day(day)
            messages.success(request, f"{label} is a school day again; presence is recomputed.")
            return redirect("schools:calendar")
        if district is None:
            raise PermissionDenied("Only district staff keep a calendar.")
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

    def post_school_days(self, request):
        """Set a district's first and last day of school: 404 for a district outside the user's
        scope, 403 for one they may only read."""
        district = get_object_or_404(
            District.objects.visible_to(request.user),
            pk=number_or_zero(request.POST.get(f"{SchoolDaysForm.prefix}-district")),
        )
        if district != self.editable_district():
            raise PermissionDenied("Only the district's own staff set its days of school.")
        form = SchoolDaysForm(request.POST, school_years=editable_school_years(timezone.localdate()))
        if form.is_valid():
            year = form.cleaned_data["school_year"]
            try:
                days = set_school_days(
                    district, year, form.cleaned_data["first_day"], form.cleaned_data["last_day"]
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    f"School year {school_year_label(year)}: first day {days.first_day:%b %d, %Y}, "
                    f"last day {days.last_day:%b %d, %Y}.",
                )
                return redirect("schools:calendar")
        return self.render_to_response(self.get_context_data(school_days_form=form), status=422)


def editable_school_years(today):
    """The school years whose days of school district staff set on the page: the last, the
    current and the next."""
    this_year = school_year_of(today)
    return [this_year - 1, this_year, this_year + 1]


def number_or_zero(value):
    """A number from the query string or a form, or 0 (which no row or school year has)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if abs(number) <= MAX_ID else 0
