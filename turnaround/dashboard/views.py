"""The dashboard (every user's home page) and its CSV export."""

import csv

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views import View
from django.views.generic import TemplateView

from contracts.models import PerformanceContract
from turnaround.csv_export import safe_row
from turnaround.views import ScopedListView, scoped_queryset

from . import evidence, queries
from .filtersets import DEFAULT_SORT, ContractDashboardFilter

PAGE_SIZE = 25
# Rows fetched (and schools prefetched) per round trip while the CSV streams.
CSV_CHUNK = 2000


def is_htmx_fragment(request):
    """An htmx request for part of the page (not a history restore, which wants the whole page)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and not headers.get("HX-History-Restore-Request")


class DashboardView(ScopedListView):
    """Every contract in the user's scope with its phase, lifecycle and performance status, with
    filters, search, sorting and pagination; counts by status, the schools and indicators most off
    track, and the annual reviews overdue. A filter change through htmx gets the results alone."""

    model = PerformanceContract
    template_name = "home.html"
    context_object_name = "contracts"
    paginate_by = PAGE_SIZE

    def base_queryset(self):
        self.today = timezone.localdate()
        return queries.with_dashboard_columns(PerformanceContract.objects.all(), self.today)

    def get_queryset(self):
        self.filterset = ContractDashboardFilter(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return self.filterset.qs

    def filters_applied(self):
        """Whether a valid filter or search narrows the list (the sort order does not)."""
        form = self.filterset.form
        if not self.filterset.is_bound or not hasattr(form, "cleaned_data"):
            return False
        return any(value for name, value in form.cleaned_data.items() if name != "sort")

    def current_sort(self):
        form = self.filterset.form
        sort = form.cleaned_data.get("sort") if hasattr(form, "cleaned_data") else None
        return sort or DEFAULT_SORT

    def get_template_names(self):
        if is_htmx_fragment(self.request):
            return ["dashboard/contract_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queries.label_phases(context["object_list"])
        user = self.request.user
        context.update(
            today=self.today,
            filterset=self.filterset,
            filtered=self.filters_applied(),
            current_sort=self.current_sort(),
        )
        if not is_htmx_fragment(self.request):
            context["counts"] = queries.status_counts(user)
        return context


class AttentionView(LoginRequiredMixin, TemplateView):
    """What needs attention (overdue reviews, the schools and indicators most off track, the data
    missing from this year's cluster-wide values): loaded by the dashboard after the list, so that
    the list never waits for it."""

    template_name = "dashboard/attention.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            off_track_schools=queries.off_track_schools(user),
            off_track_indicators=queries.off_track_indicators(user),
            data_missing=queries.data_missing(user),
            overdue=queries.overdue_reviews(user, timezone.localdate()),
        )
        return context


CSV_COLUMNS = [
    "reference",
    "name",
    "state",
    "district",
    "authority",
    "lead_partner",
    "schools",
    "school_ids",
    "phase",
    "contract_year",
    "lifecycle_status",
    "performance_status",
    "performance_as_of",
    "start_date",
    "end_date",
    # Appended, so that clients reading the columns by position keep working.
    "performance_basis",  # the contract years the performance status rests on: "3" or "3,4"
]


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a stream."""

    def write(self, value):
        return value


def csv_lines(contracts):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for c in contracts.iterator(chunk_size=CSV_CHUNK):
        schools = list(c.schools.all())
        yield writer.writerow(
            safe_row(
                [
                    c.reference,
                    c.name,
                    c.district.state.code,
                    c.district.name,
                    c.authority,
                    c.lead_partner.name,
                    "; ".join(s.name for s in schools),
                    "; ".join(s.state_id for s in schools),
                    c.phase,
                    c.contract_year or "",
                    c.lifecycle_status,
                    c.performance_status or "",
                    c.performance_as_of.isoformat() if c.performance_as_of else "",
                    c.start_date.isoformat(),
                    c.end_date.isoformat(),
                    c.performance_basis or "",
                ]
            )
        )


class DashboardCsvView(LoginRequiredMixin, View):
    """The dashboard's contracts as CSV, with the same filters, search and order as the page,
    streamed row by row. Status and phase values are the portal's codes (e.g. off_track)."""

    def get(self, request):
        today = timezone.localdate()
        contracts = queries.with_dashboard_columns(scoped_queryset(PerformanceContract, request.user), today)
        filterset = ContractDashboardFilter(request.GET or None, queryset=contracts, request=request)
        if filterset.is_bound and not filterset.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items()
            )
            return HttpResponseBadRequest(f"Bad filter: {problems}", content_type="text/plain; charset=utf-8")
        response = StreamingHttpResponse(csv_lines(filterset.qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contracts-{today.isoformat()}.csv"'
        return response


class EvidencePackView(LoginRequiredMixin, View):
    """The evidence pack PDF of one contract in the user's scope (404 otherwise)."""

    def get(self, request, pk):
        context = evidence.evidence_context(request.user, pk)
        try:
            pdf = evidence.render_pdf(context)
        except evidence.PdfUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        reference = slugify(context["contract"].reference)
        filename = f"evidence-pack-{reference}-{context['today'].isoformat()}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
