"""Measurement imports in the browser: upload a file, see what became of it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView

from turnaround.views import ScopedDetailView, ScopedListView

from .forms import MeasurementImportForm
from .imports import REQUIRED_COLUMNS, can_import, import_measurements
from .models import ImportStatus, MeasurementImport


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


class ImportCreateView(LoginRequiredMixin, FormView):
    """The upload page: district staff and Lead Partner program staff only (404 for others)."""

    form_class = MeasurementImportForm
    template_name = "indicators/import_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_import(request.user):
            raise Http404("No import page for this user.")
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
