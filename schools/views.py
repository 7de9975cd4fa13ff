"""Pages for schools: the list and the detail (its indicators over time, its contracts, recent
measurements and visits)."""

from contracts.views import visible_contracts_prefetch
from dashboard.queries import contracts_with_status
from indicators.charts import school_indicator_charts
from indicators.models import Measurement
from partners.models import FieldVisit
from turnaround.views import ScopedDetailView, ScopedListView

from .models import School

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
