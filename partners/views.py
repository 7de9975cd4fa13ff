"""Pages for organizations (partners), their priority designations, and field visits."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from contracts.views import visible_contracts_prefetch
from schools.models import School
from turnaround import histories
from turnaround.dashboard.queries import contracts_with_status, track_record, track_record_summary
from turnaround.roles import viewer_for
from turnaround.views import ScopedDetailView, ScopedListView, scoped_object_or_404

from . import presence
from .designations import can_designate
from .filters import FieldVisitFilter, FollowUpFilter
from .forms import FOLLOW_UP_PREFIX, CloseFollowUpForm, EditWindowForm, FieldVisitForm, FollowUpFormSet
from .models import (
    AuditArea,
    FieldVisit,
    FollowUp,
    Organization,
    PriorityPartnerDesignation,
    SelfAudit,
    VisitFocus,
)
from .visits import (
    can_close_follow_up,
    can_edit,
    can_log_visits,
    can_set_edit_window,
    close_follow_up,
    delete_visit,
    save_visit,
    set_edit_window,
)


def visible_designations(user):
    return (
        PriorityPartnerDesignation.objects.visible_to(user)
        .select_related("state")
        .prefetch_related("service_areas")
    )


class OrganizationListView(ScopedListView):
    template_name = "partners/organization_list.html"
    context_object_name = "organizations"
    paginate_by = 50

    def base_queryset(self):
        user = self.request.user
        return Organization.objects.select_related("home_state").prefetch_related(
            visible_contracts_prefetch(user),
            Prefetch("designations", queryset=visible_designations(user), to_attr="visible_designations"),
        )


class OrganizationDetailView(ScopedDetailView):
    template_name = "partners/organization_detail.html"
    context_object_name = "organization"

    def base_queryset(self):
        return Organization.objects.select_related("home_state")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organization, user = self.object, self.request.user
        contracts = contracts_with_status(user, lead_partner=organization)
        context["contracts"] = contracts
        context["districts"] = sorted({c.district.name for c in contracts})
        context["outcomes"] = [
            (label, sum(1 for c in contracts if c.lifecycle_status == value), value)
            for value, label in [
                ("active", "Active"),
                ("probation", "On probation"),
                ("renewed", "Renewed"),
                ("completed", "Completed"),
                ("terminated", "Terminated"),
            ]
        ]
        context["track_record"] = record = track_record(user, organization)
        context["track_summary"] = track_record_summary(record)
        context["designations"] = visible_designations(user).filter(organization=organization)
        context.update(self_audit(user, organization))
        context["can_designate"] = can_designate(user)
        context["history"] = organization_history(organization, user)
        return context


def organization_history(organization, user):
    """The organization's changes, and its designations' the user may see (the designation's state
    decides, as for the designations themselves; removed ones too)."""
    viewer = viewer_for(user)
    designations = PriorityPartnerDesignation.history.filter(organization_id=organization.pk)
    if viewer.is_state:
        designations = designations.filter(state_id=viewer.state_id)
    elif viewer.is_district:
        designations = designations.filter(state__districts__pk=viewer.district_id)
    elif not viewer.is_admin and not (viewer.is_partner and viewer.organization_id == organization.pk):
        designations = designations.none()
    return histories.history_entries(
        [
            histories.Source(
                records=Organization.history.filter(id=organization.pk),
                kind="Organization",
                name_of=lambda r: r.name,
                fields=histories.shown_fields(Organization),
                related=["home_state"],
            ),
            histories.Source(
                records=designations,
                kind="Designation",
                name_of=lambda r: f"priority partner in {r.state}",
                fields=histories.shown_fields(PriorityPartnerDesignation),
                related=["state", "designated_by"],
            ),
        ]
    )


def self_audit(user, organization):
    """The organization's latest self-audit the user may see, its answers grouped by area, and the
    number of earlier ones."""
    audits = SelfAudit.objects.visible_to(user).filter(organization=organization)
    latest = (
        audits.select_related("completed_by")
        .prefetch_related("answers__item")
        .annotate(yes=Count("answers", filter=Q(answers__answer="yes")), total=Count("answers"))
        .order_by("-completed_on")
        .first()
    )
    if latest is None:
        return {"self_audit": None, "audit_areas": [], "earlier_audits": 0}
    labels = dict(AuditArea.choices)
    order = {value: index for index, value in enumerate(AuditArea.values)}
    answers = sorted(latest.answers.all(), key=lambda a: (order.get(a.item.area, 99), a.item.order))
    areas = [
        (labels.get(area, area), list(group)) for area, group in groupby(answers, key=lambda a: a.item.area)
    ]
    return {"self_audit": latest, "audit_areas": areas, "earlier_audits": audits.count() - 1}


# Field visits -------------------------------------------------------------------------------------
class VisitTabsMixin:
    """The field visit pages share a row of tabs; `visit_tab` names the current one."""

    visit_tab = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["visit_tab"] = self.visit_tab
        context["can_log_visits"] = can_log_visits(self.request.user)
        return context


def mark_editable(visits, user):
    now = timezone.now()
    for visit in visits:
        visit.editable = can_edit(visit, user, now)
        # Only the author corrects a visit: the correction is a visit of theirs.
        visit.correctable = not visit.editable and visit.staff_id == user.pk and viewer_for(user).is_partner
    return visits


class FieldVisitListView(VisitTabsMixin, ScopedListView):
    """Visits in the user's scope, latest first, filtered by person, school, dates and mode."""

    template_name = "partners/visit_list.html"
    context_object_name = "visits"
    paginate_by = 25
    visit_tab = "visits"

    def base_queryset(self):
        return (
            FieldVisit.objects.select_related("school", "organization__home_state", "staff")
            .prefetch_related("follow_ups")
            .order_by("-visit_date", "-created_at", "-id")
        )

    def get_queryset(self):
        self.filterset = FieldVisitFilter(
            self.request.GET or None, super().get_queryset(), request=self.request
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        mark_editable(context["visits"], self.request.user)
        attach_histories(context["visits"])
        if can_set_edit_window(self.request.user):
            organization = Organization.objects.get(pk=viewer_for(self.request.user).organization_id)
            context["edit_window_form"] = EditWindowForm(instance=organization)
        return context


class EditWindowView(LoginRequiredMixin, View):
    """Program staff set how many days their field staff may edit a logged visit."""

    def post(self, request):
        if not can_set_edit_window(request.user):
            raise PermissionDenied("Only program staff set the edit window.")
        form = EditWindowForm(request.POST)
        if form.is_valid():
            set_edit_window(request.user, form.cleaned_data["visit_edit_window_days"])
            days = form.cleaned_data["visit_edit_window_days"]
            messages.success(
                request,
                f"Your staff may now edit a visit for {days} day{'s' if days != 1 else ''} after logging it.",
            )
        else:
            messages.error(
                request, " ".join(form.errors.get("visit_edit_window_days", ["Give a number of days."]))
            )
        return redirect("partners:visits")


class LogVisitAccessMixin(LoginRequiredMixin):
    """Only Lead Partner staff log visits; anyone else gets a 403 (as from the API)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_log_visits(request.user):
            raise PermissionDenied("Only Lead Partner staff log field visits.")
        return super().dispatch(request, *args, **kwargs)


class VisitFormMixin(LogVisitAccessMixin, VisitTabsMixin):
    template_name = "partners/visit_form.html"
    visit_tab = "log"

    def visit_forms(self, instance):
        data = self.request.POST if self.request.method == "POST" else None
        form = FieldVisitForm(
            data, instance=instance, user=self.request.user, initial=self.correction_initial()
        )
        follow_ups = FollowUpFormSet(data, instance=instance, prefix=FOLLOW_UP_PREFIX)
        return form, follow_ups

    def correction_initial(self):
        return {}

    def render_forms(self, form, follow_ups, status=200):
        context = self.get_context_data(form=form, follow_ups=follow_ups)
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_forms(*self.visit_forms(self.get_visit()))

    def post(self, request, *args, **kwargs):
        visit = self.get_visit()
        form, follow_ups = self.visit_forms(visit)
        form_ok = form.is_valid()
        follow_ups.visit_date = form.cleaned_data.get("visit_date")
        if not (form_ok and follow_ups.is_valid()):
            return self.render_forms(form, follow_ups, status=422)
        try:
            visit = save_visit(form.save(commit=False), request.user, follow_ups)
        except PermissionError as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        messages.success(
            request,
            f"Visit to {visit.school.name} on {visit.visit_date:%b %d} saved"
            f"{' (on site: it counts toward presence)' if visit.mode == 'on_site' else ''}.",
        )
        return redirect(reverse("partners:visits") + "?staff=" + str(request.user.pk))


class VisitCreateView(VisitFormMixin, TemplateView):
    """Log a visit: one screen on a phone, today and the last visit's school by default."""

    def get_visit(self):
        return FieldVisit()

    def correction_initial(self):
        """?corrects=ID starts a correction of a visit past its edit window, pre-filled from it."""
        pk = self.request.GET.get("corrects")
        if not pk or not pk.isdigit():
            return {}
        original = scoped_object_or_404(FieldVisit, self.request.user, pk=pk)
        if original.staff_id != self.request.user.pk:
            raise PermissionDenied("Only the author corrects a visit.")
        self.corrected = original
        return {
            "corrects": original.pk,
            "school": original.school_id,
            "visit_date": original.visit_date,
            "mode": original.mode,
            "start_time": original.start_time,
            "end_time": original.end_time,
            "duration_minutes": None if original.start_time else original.duration_minutes,
            "focus": original.focus,
            "people_met": original.people_met,
            "progress": original.progress,
            "barriers": original.barriers,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["corrected"] = getattr(self, "corrected", None)
        return context


class OwnVisitMixin:
    """A visit the user sees (404 otherwise, before any role check) and may edit (403 otherwise)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            scoped_object_or_404(FieldVisit, request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_visit(self):
        visit = scoped_object_or_404(
            FieldVisit.objects.select_related("organization", "school"),
            self.request.user,
            pk=self.kwargs["pk"],
        )
        if not can_edit(visit, self.request.user):
            raise PermissionDenied("Only the author edits a visit, within the organization's edit window.")
        return visit


class VisitUpdateView(OwnVisitMixin, VisitFormMixin, TemplateView):
    visit_tab = "visits"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["editing"] = True
        context["history"] = visit_history(context["form"].instance)
        return context


def attach_histories(visits):
    """Each visit of a list with `changes`: its history and its follow-ups', where it was edited
    or a follow-up changed after it was logged (two queries for the whole page)."""
    visits = list(visits)
    by_visit = {visit.pk: [] for visit in visits}
    for entry in visit_history(None, ids=list(by_visit), limit=None):
        record = entry["record"]
        by_visit[getattr(record, "visit_id", record.id)].append(entry)
    for visit in visits:
        entries = by_visit[visit.pk]
        edited = any(e["action"] != "created" for e in entries) or any(
            e["kind"] == "Follow-up" and e["when"] > visit.created_at for e in entries
        )
        visit.changes = entries if edited else []
    return visits


def focus_labels(value):
    labels = dict(VisitFocus.choices)
    return ", ".join(labels.get(v, str(v)) for v in value) if isinstance(value, list) else str(value)


def visit_history(visit, ids=None, limit=histories.HISTORY_LIMIT):
    """A visit's changes and its follow-ups' (added, edited, closed, removed); or those of the
    visits `ids`."""
    ids = ids if ids is not None else [visit.pk]
    return histories.history_entries(
        [
            histories.Source(
                records=FieldVisit.history.filter(id__in=ids),
                kind="Visit",
                name_of=lambda r: f"{r.visit_date:%b %-d, %Y}",
                fields=histories.shown_fields(FieldVisit, exclude=["organization", "staff"]),
                related=["school", "corrects"],
                labels={"focus": focus_labels},
            ),
            histories.Source(
                records=FollowUp.history.filter(visit_id__in=ids),
                kind="Follow-up",
                name_of=lambda r: r.description,
                fields=histories.shown_fields(FollowUp, exclude=["visit"]),
                related=["closed_by"],
            ),
        ],
        limit,
    )


class VisitDeleteView(OwnVisitMixin, LogVisitAccessMixin, VisitTabsMixin, TemplateView):
    template_name = "partners/visit_confirm_delete.html"
    visit_tab = "visits"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(visit=self.get_visit()))

    def post(self, request, *args, **kwargs):
        visit = self.get_visit()
        label = f"{visit.school.name} on {visit.visit_date:%b %d}"
        try:
            delete_visit(visit, request.user)
        except PermissionError as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        messages.success(request, f"Visit to {label} deleted.")
        return redirect("partners:visits")


class FollowUpRowView(LogVisitAccessMixin, View):
    """htmx: one more empty follow-up row, and the formset's form count raised out of band."""

    def get(self, request):
        try:
            index = int(request.GET.get(f"{FOLLOW_UP_PREFIX}-TOTAL_FORMS", "0"))
        except ValueError:
            index = 0
        index = max(0, min(index, FollowUpFormSet.max_num - 1))
        formset = FollowUpFormSet(prefix=FOLLOW_UP_PREFIX)
        form = formset.form(prefix=f"{FOLLOW_UP_PREFIX}-{index}", use_required_attribute=False)
        return render(
            request,
            "partners/follow_up_row.html",
            {"form": form, "total": index + 1, "prefix": FOLLOW_UP_PREFIX, "oob": True},
        )


# Follow-ups ---------------------------------------------------------------------------------------
class FollowUpListView(VisitTabsMixin, ScopedListView):
    """Follow-ups per person (owner, or who logged the visit) and per school: open, overdue, closed."""

    template_name = "partners/follow_up_list.html"
    context_object_name = "follow_ups"
    paginate_by = 50
    visit_tab = "follow_ups"

    def base_queryset(self):
        return FollowUp.objects.select_related("visit__school", "visit__staff", "closed_by").order_by(
            "done_on", "due_on", "id"
        )

    def get_queryset(self):
        self.filterset = FollowUpFilter(self.request.GET, super().get_queryset(), request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["today"] = timezone.localdate()
        visible = FollowUp.objects.visible_to(self.request.user)
        context["counts"] = visible.aggregate(
            open=Count("pk", filter=Q(done_on__isnull=True)),
            overdue=Count("pk", filter=Q(done_on__isnull=True, due_on__lt=context["today"])),
        )
        for follow_up in context["follow_ups"]:
            follow_up.closable = can_close_follow_up(follow_up, self.request.user)
        return context


class FollowUpCloseView(LoginRequiredMixin, View):
    """Close a follow-up with a note: htmx swaps the row in place; without htmx, back to the list."""

    def post(self, request, pk):
        follow_up = scoped_object_or_404(
            FollowUp.objects.select_related("visit__school", "visit__staff"), request.user, pk=pk
        )
        if not can_close_follow_up(follow_up, request.user):
            raise PermissionDenied("Only the organization's staff close its follow-ups.")
        form = CloseFollowUpForm(request.POST)
        error = None
        if form.is_valid():
            try:
                close_follow_up(follow_up, request.user, form.cleaned_data["closing_note"])
            except ValidationError as refusal:
                error = " ".join(m for ms in refusal.message_dict.values() for m in ms)
        else:
            error = " ".join(form.errors.get("closing_note", ["Say what was done to close it."]))
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, f"Closed: {follow_up.description}")
            return redirect(safe_next(request) or reverse("partners:follow_ups"))
        follow_up.closable = True
        return render(
            request,
            "partners/follow_up_row_item.html",
            # 200 even with an error: htmx swaps only successful responses.
            {"follow_up": follow_up, "today": timezone.localdate(), "close_error": error, "close_form": form},
        )


def safe_next(request):
    """The `next` the form sent, if it is a page of this portal (no redirect to another site)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# Presence and barriers ----------------------------------------------------------------------------
# Schools named in the home page's alert; the rest are counted (the heatmap lists them all).
ALERT_SHOWN = 8


class PresenceAlertView(LoginRequiredMixin, View):
    """The home page's alert, fetched by htmx once the page has loaded (a state's thousands of
    schools take a moment): schools under 4 on-site days (or their school days, in a short week)
    two complete weeks running, among the user's schools under a contract on the ground."""

    def get(self, request):
        schools = School.objects.visible_to(request.user).filter(
            pk__in=presence.on_the_ground_schools().values("pk")
        )
        flagged, total = presence.under_covered_count(schools, limit=ALERT_SHOWN)
        context = {"flagged": flagged, "flagged_total": total, "flagged_more": total - len(flagged)}
        return render(request, "partners/presence_alerts.html", context)


class PresenceView(VisitTabsMixin, LoginRequiredMixin, TemplateView):
    """The presence heatmap of the schools under contracts on the ground that the user may see."""

    template_name = "partners/presence.html"
    visit_tab = "presence"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            weeks = max(4, min(int(self.request.GET.get("weeks", presence.HEATMAP_WEEKS)), 26))
        except ValueError:
            weeks = presence.HEATMAP_WEEKS
        schools = School.objects.visible_to(self.request.user).filter(
            pk__in=presence.on_the_ground_schools().values("pk")
        )
        context["presence"] = presence.grid(schools, weeks=weeks)
        context["weeks"] = weeks
        context["week_choices"] = [4, 10, 26]
        return context


class BarrierView(VisitTabsMixin, LoginRequiredMixin, TemplateView):
    """Barriers that recur: visits reporting a barrier, per school and focus area."""

    template_name = "partners/barriers.html"
    visit_tab = "barriers"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visits = FieldVisit.objects.visible_to(self.request.user)
        self.filterset = FieldVisitFilter(self.request.GET or None, visits, request=self.request)
        rows = list(self.filterset.qs.barrier_counts())
        focus = VisitFocus.choices
        context["filter"] = self.filterset
        context["focus_columns"] = focus
        context["rows"] = [
            {
                "school_id": r["school_id"],
                "school": r["school__name"],
                "total": r["total"],
                "counts": [r[code] for code, _ in focus],
            }
            for r in rows
        ]
        context["totals"] = [sum(r[code] for r in rows) for code, _ in focus]
        context["recent"] = (
            self.filterset.qs.exclude(barriers="")
            .select_related("school", "staff")
            .order_by("-visit_date", "-id")[:20]
        )
        return context
