"""Measurements in the browser: imports (upload a file, see what became of it) and the values
themselves with their provenance and verification."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import FormView

from turnaround.views import ScopedDetailView, ScopedListView, scoped_object_or_404

from . import verification
from .forms import AnswerForm, DisputeForm, MeasurementFilterForm, MeasurementImportForm
from .imports import REQUIRED_COLUMNS, LimitedUploadHandler, can_import, import_measurements
from .models import ImportStatus, Indicator, Measurement, MeasurementImport, Verification
from .write_rule import write_refusal


class ImportListView(ScopedListView):
    model = MeasurementImport
    template_name = "indicators/import_list.html"
    context_object_name = "imports"
    paginate_by = 25

    def base_queryset(self):
        return MeasurementImport.objects.select_related("uploaded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = can_import(self.request.user)
        return context


class ImportDetailView(ScopedDetailView):
    model = MeasurementImport
    template_name = "indicators/import_detail.html"
    context_object_name = "import"


@method_decorator(csrf_exempt, name="dispatch")  # checked below, once the upload handler is in place
class ImportCreateView(LoginRequiredMixin, FormView):
    """The upload page: district staff and Lead Partner program staff only (403 for others).
    The upload is stored only up to the import's byte limit (LimitedUploadHandler); the CSRF check
    reads the request body, so it runs after the handler is installed."""

    form_class = MeasurementImportForm
    template_name = "indicators/import_form.html"

    def dispatch(self, request, *args, **kwargs):
        request.upload_handlers.insert(0, LimitedUploadHandler(request))
        return csrf_protect(self._dispatch)(request, *args, **kwargs)

    def _dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_import(request.user):
            # The page is no secret (the imports list is read by more roles): refused, not hidden.
            raise PermissionDenied("Only district staff and Lead Partner program staff import values.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = REQUIRED_COLUMNS
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        record = import_measurements(upload, upload.name, self.request.user, channel="browser")
        if record.status == ImportStatus.APPLIED:
            messages.success(
                self.request,
                f"{record.file_name}: {record.rows_created} new, {record.rows_updated} updated, "
                f"{record.rows_unchanged} unchanged. Statuses are being recomputed.",
            )
        else:
            messages.error(
                self.request,
                f"{record.file_name} was rejected: {len(record.errors)} problem(s). Nothing was imported.",
            )
        return redirect("indicators:import_detail", pk=record.pk)


# Values and their verification ------------------------------------------------------------------
class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows: a state's values run into millions, and counting them all
    would cost more than showing a page. Past the cap the page shows "10,000+"."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def capped(self):
        return self.count > self.COUNT_CAP


class MeasurementListView(ScopedListView):
    """Every value the user may see, filtered; district staff verify them (one by one or a page
    at a time), Lead Partner program staff find the disputed ones to answer."""

    model = Measurement
    template_name = "indicators/measurement_list.html"
    context_object_name = "measurements"
    paginate_by = 50
    paginator_class = CappedCountPaginator

    def base_queryset(self):
        return Measurement.objects.select_related("school", "indicator", "supplied_by").order_by(
            "-period_end", "-pk"
        )

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filters = MeasurementFilterForm(
            self.request.GET or None,
            indicators=Indicator.objects.order_by("order"),
        )
        if self.filters.is_bound and self.filters.is_valid():
            queryset = self.filters.filter(queryset)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filters=self.filters,
            query=query.urlencode(),
            can_verify=verification.can_verify(self.request.user),
            can_answer=verification.can_answer(self.request.user),
            disputed_count=Measurement.objects.visible_to(self.request.user)
            .filter(verification=Verification.DISPUTED)
            .count(),
        )
        return context


def _detail_context(request, measurement, dispute_form=None, answer_form=None):
    user = request.user
    return {
        "measurement": measurement,
        "events": measurement.events.select_related("user"),
        "can_verify": verification.can_verify(user),
        "can_answer": verification.can_answer(user)
        and write_refusal(user, measurement.school, measurement.period_end) is None,
        "dispute_form": dispute_form or DisputeForm(),
        "answer_form": answer_form or AnswerForm(),
    }


def _add_errors(form, error):
    """A service's ValidationError onto the form it came from."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            for message in messages_:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class MeasurementDetailView(ScopedDetailView):
    """One value: its provenance, its verification state and trail, and the forms that move it."""

    model = Measurement
    template_name = "indicators/measurement_detail.html"

    def base_queryset(self):
        return Measurement.objects.select_related(
            "school", "indicator", "supplied_by", "verified_by", "import_batch"
        )

    def get_context_data(self, **kwargs):
        return _detail_context(self.request, self.object)


class MeasurementActionView(LoginRequiredMixin, View):
    """POST only: verify, dispute or answer one value in scope (404 outside it, 403 for a role
    that may not). From htmx (the values page) the answer is the table row again; a form with
    errors comes back on the value's page, with what was typed."""

    action = None
    forms = {"dispute": DisputeForm, "answer": AnswerForm}

    def post(self, request, pk):
        measurement = scoped_object_or_404(
            Measurement.objects.select_related("school", "indicator"), request.user, pk=pk
        )
        form = self.forms[self.action](request.POST) if self.action in self.forms else None
        if form is None:
            verification.verify(request.user, [measurement.pk])
            done = "Verified."
        elif form.is_valid():
            try:
                if self.action == "dispute":
                    verification.dispute(request.user, measurement, form.cleaned_data["text"])
                    done = "Disputed: the Lead Partner sees the reason."
                else:
                    data = form.cleaned_data
                    verification.answer(request.user, measurement, data["value"], data["comment"])
                    done = "Answer recorded."
            except ValidationError as error:
                _add_errors(form, error)
        if form is not None and form.errors:
            context = _detail_context(request, measurement, **{f"{self.action}_form": form})
            return render(request, "indicators/measurement_detail.html", context, status=400)
        if request.headers.get("HX-Request"):
            measurement.refresh_from_db()
            return render(
                request,
                "indicators/measurement_row.html",
                {"m": measurement, "can_verify": verification.can_verify(request.user)},
            )
        messages.success(request, done)
        return redirect("indicators:measurement_detail", pk=pk)


class BulkVerifyView(LoginRequiredMixin, View):
    """Verify the values ticked on the values page (ids outside the user's scope are ignored)."""

    def post(self, request):
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        if not ids:
            messages.warning(request, "Tick the values to verify first.")
        else:
            count = verification.verify(request.user, ids)
            messages.success(request, f"{count} value{'s' if count != 1 else ''} verified.")
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        return redirect(back or "indicators:measurements")
