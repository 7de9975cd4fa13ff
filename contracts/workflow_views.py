"""The contract workflow in the browser: RFPs and proposals, selection into a draft contract, the
contract's terms, schools, autonomies, responsibilities, checklist and targets, lifecycle
transitions, reviews and decisions.

Every page reads its object through the scopes (404 outside the user's scope); writing needs the
object in `editable_by(user)` as well (403 for someone who may only read it). Every write runs in
one transaction; services raise ValidationError, shown at the field at fault with what the user
typed kept."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from indicators.models import Indicator
from partners.models import Organization
from turnaround.roles import viewer_for
from turnaround.views import ScopedDetailView, ScopedListView, scoped_object_or_404, scoped_queryset

from . import services
from .baselines import baseline_year, baselines_from_measurements
from .forms import (
    AutonomyFormSet,
    ChecklistFormSet,
    ContractSchoolsForm,
    ContractTermsForm,
    DecisionForm,
    ProposalForm,
    ResponsibilityFormSet,
    ReviewForm,
    RfpForm,
    SelectProposalForm,
    TargetGridForm,
    TransitionForm,
)
from .models import (
    AutonomyDimension,
    ContractAutonomy,
    ContractResponsibility,
    ContractReview,
    FunctionArea,
    PerformanceContract,
    PreLaunchChecklistItem,
    Proposal,
    Rfp,
    RfpStatus,
    Target,
)
from .rubric import CRITERIA, SELF_AUDIT_WEIGHT
from .views import can_edit_contract


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def add_service_errors(form, exc):
    """A service's ValidationError on the form: at the field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def can_create_rfp(user):
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_district or viewer.is_state


def can_edit_rfp(user, rfp):
    return Rfp.objects.editable_by(user).filter(pk=rfp.pk).exists()


# RFPs and proposals ------------------------------------------------------------------------------


class RfpListView(ScopedListView):
    model = Rfp
    template_name = "contracts/rfp_list.html"
    context_object_name = "rfps"
    paginate_by = 50

    def base_queryset(self):
        return (
            Rfp.objects.select_related("district__state")
            .annotate(
                school_count=Count("schools", distinct=True), proposal_count=Count("proposals", distinct=True)
            )
            .order_by("-issued_on", "title")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = can_create_rfp(self.request.user)
        return context


class RfpDetailView(ScopedDetailView):
    model = Rfp
    template_name = "contracts/rfp_detail.html"
    context_object_name = "rfp"

    def base_queryset(self):
        return Rfp.objects.select_related("district__state").prefetch_related(
            Prefetch("schools", to_attr="school_list")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rfp = self.object
        proposals = list(
            Proposal.objects.visible_to(self.request.user)
            .filter(rfp=rfp)
            .select_related("organization", "self_audit", "contract")
            .order_by("-score", "organization__name")
        )
        for proposal in proposals:
            proposal.ratings = [(c, getattr(proposal, c.field)) for c in CRITERIA]
        context.update(
            proposals=proposals,
            criteria=CRITERIA,
            self_audit_weight=SELF_AUDIT_WEIGHT,
            can_edit=can_edit_rfp(self.request.user, rfp),
            open_for_selection=rfp.status not in (RfpStatus.AWARDED, RfpStatus.CANCELLED),
            history=rfp_history(rfp, self.request.user),
        )
        return context


def rfp_history(rfp, user):
    """The RFP's changes and its proposals' (scores, ratings, statuses) the user may see: program
    staff their own organization's proposals only, as on the page."""
    from turnaround import histories

    viewer = viewer_for(user)
    proposals = Proposal.history.filter(rfp_id=rfp.pk)
    if viewer.is_program:
        proposals = proposals.filter(organization_id=viewer.organization_id)
    return histories.history_entries(
        [
            histories.Source(
                records=Rfp.history.filter(id=rfp.pk),
                kind="RFP",
                name_of=lambda r: r.title,
                fields=histories.shown_fields(Rfp),
            ),
            histories.Source(
                records=proposals,
                kind="Proposal",
                name_of=lambda r: str(r.organization),
                fields=histories.shown_fields(Proposal, exclude=["rfp", "organization"]),
                related=["organization", "self_audit"],
            ),
        ]
    )


class RfpFormMixin(LoginRequiredMixin):
    template_name = "contracts/rfp_form.html"
    form_class = RfpForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = getattr(self, "rfp", None) or Rfp()
        kwargs["cancel_url"] = self.cancel_url()
        return kwargs

    def form_valid(self, form):
        with transaction.atomic():
            rfp = form.save()
        messages.success(self.request, f"RFP “{rfp.title}” saved.")
        return redirect("contracts:rfp_detail", pk=rfp.pk)


class RfpCreateView(RfpFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create_rfp(request.user):
            raise PermissionDenied("Only district and state staff issue RFPs.")
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("contracts:rfps")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="New RFP", **kwargs)


class RfpUpdateView(RfpFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.rfp = scoped_object_or_404(Rfp, request.user, pk=kwargs["pk"])
        if not can_edit_rfp(request.user, self.rfp):
            raise PermissionDenied("You may read this RFP, not change it.")
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("contracts:rfp_detail", args=[self.rfp.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"Edit {self.rfp.title}", rfp=self.rfp, **kwargs)


class RfpWriteMixin(LoginRequiredMixin):
    """Pages that write to an RFP the user runs: 404 outside the scope, 403 when read-only."""

    def load(self, request, rfp_id):
        self.rfp = scoped_object_or_404(Rfp.objects.select_related("district"), request.user, pk=rfp_id)
        if not can_edit_rfp(request.user, self.rfp):
            raise PermissionDenied("You may read this RFP, not change it.")


def self_audit_context(organization_id, submitted_on=None):
    """The organization's self-audit the rubric will use, with its answers, for the proposal form."""
    if not organization_id:
        return {"audit": None, "audit_answers": [], "organization_chosen": False}
    audit = services.latest_self_audit(organization_id, submitted_on)
    answers = list(audit.answers.select_related("item").order_by("item__order")) if audit else []
    from .rubric import self_audit_rating

    return {
        "audit": audit,
        "audit_answers": answers,
        "audit_rating": self_audit_rating(a.answer for a in answers) if audit else None,
        "organization_chosen": True,
        "self_audit_weight": SELF_AUDIT_WEIGHT,
    }


class ProposalFormMixin(RfpWriteMixin):
    template_name = "contracts/proposal_form.html"
    form_class = ProposalForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            rfp=self.rfp,
            user=self.request.user,
            instance=getattr(self, "proposal", None) or Proposal(rfp=self.rfp),
            cancel_url=reverse("contracts:rfp_detail", args=[self.rfp.pk]),
            self_audit_url=reverse("contracts:self_audit_preview"),
        )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(rfp=self.rfp, **kwargs)
        form = context["form"]
        organization = form["organization"].value()
        try:
            organization_id = int(organization) if organization else None
        except (TypeError, ValueError):
            organization_id = None
        context.update(self_audit_context(organization_id))
        return context

    def form_valid(self, form):
        try:
            proposal = services.save_proposal(form.instance)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        score = f"scored {proposal.score}" if proposal.score is not None else "not fully rated yet"
        messages.success(self.request, f"Proposal of {proposal.organization.name} saved, {score}.")
        return redirect("contracts:rfp_detail", pk=self.rfp.pk)


class ProposalCreateView(ProposalFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.load(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Record a proposal", **kwargs)


class ProposalUpdateView(ProposalFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.proposal = scoped_object_or_404(
            Proposal.objects.select_related("organization"), request.user, pk=kwargs["pk"]
        )
        self.load(request, self.proposal.rfp_id)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"Proposal of {self.proposal.organization.name}", **kwargs)


class SelfAuditPreviewView(LoginRequiredMixin, View):
    """The self-audit of the organization chosen in the proposal form (an htmx fragment)."""

    def get(self, request):
        if not can_create_rfp(request.user):
            raise PermissionDenied
        organization_id = request.GET.get("organization") or None
        if organization_id:
            organization = get_object_or_404(scoped_queryset(Organization, request.user), pk=organization_id)
            organization_id = organization.pk
        return render(request, "contracts/self_audit_preview.html", self_audit_context(organization_id))


class ProposalSelectView(RfpWriteMixin, FormView):
    template_name = "contracts/proposal_select.html"
    form_class = SelectProposalForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.proposal = scoped_object_or_404(
            Proposal.objects.select_related("organization", "rfp"), request.user, pk=kwargs["pk"]
        )
        self.load(request, self.proposal.rfp_id)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(proposal=self.proposal, cancel_url=reverse("contracts:rfp_detail", args=[self.rfp.pk]))
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Select {self.proposal.organization.name}",
            rfp=self.rfp,
            proposal=self.proposal,
            schools=list(self.rfp.schools.order_by("name")),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            contract = services.select_proposal(
                self.proposal,
                user=self.request.user,
                cluster=data["cluster"],
                new_cluster_name=data["new_cluster_name"],
                reference=data["reference"],
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.proposal.organization.name} selected. The draft contract starts from the responsibility "
            "template and the autonomy catalog: settle them, set the terms and the targets.",
        )
        return redirect("contracts:detail", pk=contract.pk)


# Contract pages that write --------------------------------------------------------------------


class ContractWriteMixin(LoginRequiredMixin):
    """The contract of the URL: 404 outside the user's scope, 403 for someone who may only read it."""

    template_name = "contracts/contract_form.html"
    title = ""
    intro = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contract = scoped_object_or_404(
            PerformanceContract.objects.with_related(), request.user, pk=kwargs["pk"]
        )
        if not can_edit_contract(request.user, self.contract):
            raise PermissionDenied("You may read this contract, not change it.")
        return super().dispatch(request, *args, **kwargs)

    def contract_url(self):
        return reverse("contracts:detail", args=[self.contract.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            contract=self.contract, title=self.title, intro=self.intro, cancel_url=self.contract_url()
        )
        return context


class ContractFormView(ContractWriteMixin, FormView):
    """A form about one contract whose valid submission runs `save(form)` in a transaction."""

    success_message = "Saved."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["cancel_url"] = self.contract_url()
        return kwargs

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.save(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.contract_url())


class ContractTermsView(ContractFormView):
    form_class = ContractTermsForm
    title = "Terms"
    intro = "Dates, funding and accountability terms. Changes are kept in the contract's history."
    success_message = "Terms saved. Statuses are being recomputed."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.contract
        return kwargs

    def save(self, form):
        form.save()  # the contract's post_save schedules the recompute


class ContractSchoolsView(ContractFormView):
    form_class = ContractSchoolsForm
    title = "Schools"
    intro = "The schools the contract covers, from the contract's district."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contract"] = self.contract
        return kwargs

    def save(self, form):
        added, removed = services.set_contract_schools(self.contract, form.cleaned_data["schools"])
        self.success_message = f"Schools saved: {len(added)} added, {len(removed)} removed."


class ContractTransitionView(ContractFormView):
    form_class = TransitionForm
    title = "Change the lifecycle status"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contract"] = self.contract
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = (
            f"The contract is {self.contract.get_lifecycle_status_display().lower()}. "
            "Each change is recorded with who, when and why."
        )
        if not context["form"].fields["to_status"].choices:
            context["closed"] = True
        return context

    def save(self, form):
        data = form.cleaned_data
        change = services.transition_contract(
            self.contract,
            data["to_status"],
            user=self.request.user,
            reason=data["reason"],
            effective_on=data["effective_on"],
        )
        self.success_message = f"The contract is now {change.get_to_status_display().lower()}."


class ReviewCreateView(ContractFormView):
    form_class = ReviewForm
    title = "Record an annual review"
    success_message = "Review recorded."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contract"] = self.contract
        return kwargs

    def save(self, form):
        form.instance.reviewer = self.request.user
        form.save()


class ReviewUpdateView(ReviewCreateView):
    title = "Edit an annual review"
    success_message = "Review saved."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = get_object_or_404(
            ContractReview, contract=self.contract, pk=self.kwargs["review_pk"]
        )
        return kwargs

    def save(self, form):
        form.save()


class DecisionCreateView(ContractFormView):
    form_class = DecisionForm
    title = "Record a decision"
    intro = (
        "Renewal, probation, termination or completion: the decision moves the contract's lifecycle "
        "status, and keeps the indicator statuses and values as they stand now as its evidence."
    )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contract"] = self.contract
        return kwargs

    def save(self, form):
        data = form.cleaned_data
        decision = services.record_decision(
            self.contract,
            kind=data["kind"],
            decided_on=data["decided_on"],
            rationale=data["rationale"],
            review=data["review"],
            user=self.request.user,
            verified_only=data["verified_only"],
        )
        self.success_message = (
            f"Decision recorded: {decision.get_kind_display().lower()}, "
            f"with {len(decision.evidence)} indicator statuses as evidence."
        )


class ContractFormSetView(ContractWriteMixin, TemplateView):
    """A formset over rows the contract carries, grouped for the page (by dimension or area)."""

    formset_class = None
    template_name = "contracts/contract_formset.html"
    success_message = "Saved."
    columns = ()

    def rows(self):
        raise NotImplementedError

    def group_key(self, row):
        raise NotImplementedError

    def group_labels(self):
        raise NotImplementedError

    def get_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.formset_class(data, queryset=self.rows())

    def grouped(self, formset):
        labels = self.group_labels()
        groups = {value: [] for value in labels}
        for form in formset:
            groups.setdefault(self.group_key(form.instance), []).append(form)
        return [(labels.get(key, key), forms) for key, forms in groups.items() if forms]

    def get(self, request, *args, **kwargs):
        return self.render_formset(self.get_formset())

    def render_formset(self, formset):
        return self.render_to_response(
            self.get_context_data(formset=formset, groups=self.grouped(formset), columns=self.columns)
        )

    def post(self, request, *args, **kwargs):
        formset = self.get_formset()
        if not formset.is_valid():
            return self.render_formset(formset)
        with transaction.atomic():
            saved = formset.save()
        messages.success(self.request, f"{self.success_message} {len(saved)} changed.")
        return redirect(self.contract_url())


class AutonomiesView(ContractFormSetView):
    formset_class = AutonomyFormSet
    title = "Autonomies"
    intro = "How far the contract grants each autonomy of the catalog, by dimension."
    success_message = "Autonomies saved."
    columns = ("Autonomy", "Grant", "Notes")

    def rows(self):
        return (
            ContractAutonomy.objects.filter(contract=self.contract)
            .select_related("item")
            .order_by("item__order")
        )

    def group_key(self, row):
        return row.item.dimension

    def group_labels(self):
        return dict(AutonomyDimension.choices)


class ResponsibilitiesView(ContractFormSetView):
    formset_class = ResponsibilityFormSet
    title = "Responsibility split"
    intro = "Who owns each function: the district, the Lead Partner, or both. Settle every undecided item."
    success_message = "Responsibility split saved."
    columns = ("Function", "Owner", "Notes")

    def rows(self):
        return (
            ContractResponsibility.objects.filter(contract=self.contract)
            .select_related("item")
            .order_by("item__order")
        )

    def group_key(self, row):
        return row.item.area

    def group_labels(self):
        return dict(FunctionArea.choices)


class ChecklistView(ContractFormSetView):
    formset_class = ChecklistFormSet
    title = "Pre-launch checklist"
    intro = "The pre-launch tasks, with the day each is due and the day it was done."
    success_message = "Checklist saved."
    columns = ("Task", "Due", "Done", "Notes")

    def rows(self):
        return PreLaunchChecklistItem.objects.filter(contract=self.contract).order_by("id")

    def group_key(self, row):
        return "checklist"

    def group_labels(self):
        return {"checklist": "Before contract year 1"}


class TargetGridView(ContractWriteMixin, TemplateView):
    """Targets by indicator and contract year for the whole cluster or one school; the baselines
    filled from the year before the start. Switching the scope and saving reload only the grid."""

    template_name = "contracts/target_grid_page.html"
    title = "Targets"

    def scope(self):
        raw = self.request.GET.get("school") or self.request.POST.get("school") or ""
        schools = list(self.contract.schools.all())
        if raw in ("", "cluster"):
            return None, schools
        try:
            school = next(s for s in schools if s.pk == int(raw))
        except (ValueError, StopIteration):
            raise Http404("Not a school of this contract.") from None
        return school, schools

    def build(self, data=None):
        school, schools = self.scope()
        indicators = list(Indicator.objects.order_by("order", "code"))
        years = list(range(1, (self.contract.term_years or 5) + 1))
        existing = {
            (t.indicator_id, t.contract_year): t
            for t in Target.objects.filter(contract=self.contract, school=school)
        }
        computed = baselines_from_measurements(self.contract, schools, indicators)
        scope_key = school.pk if school else None
        form = TargetGridForm(
            data,
            indicators=indicators,
            years=years,
            existing=existing,
            computed_baselines={i.pk: computed.get((i.pk, scope_key)) for i in indicators},
            accountable_from_year=self.contract.accountable_from_year,
        )
        first, last = baseline_year(self.contract)
        return {
            "form": form,
            "school": school,
            "schools": schools,
            "years": years,
            "baseline_first": first,
            "baseline_last": last,
            "target_count": len(existing),
        }

    def render_grid(self, context, status=200):
        context = self.get_context_data(**context)
        template = "contracts/target_grid.html" if is_htmx(self.request) else self.template_name
        return render(self.request, template, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_grid(self.build())

    def post(self, request, *args, **kwargs):
        context = self.build(request.POST)
        form = context["form"]
        if not form.is_valid():
            context["error_count"] = len(form.errors)
            return self.render_grid(context, status=200)
        created, updated, removed = services.save_target_grid(
            self.contract,
            context["school"],
            form.baselines(),
            form.targets(),
            form.accountabilities(),
            user=request.user,
        )
        scope = context["school"].name if context["school"] else "the whole cluster"
        note = (
            f"Targets for {scope} saved: {created} new, {updated} changed, {removed} removed. "
            "Statuses are being recomputed."
        )
        if is_htmx(request):
            fresh = self.build()
            fresh["saved_note"] = note
            return self.render_grid(fresh)
        messages.success(request, note)
        suffix = f"?school={context['school'].pk}" if context["school"] else ""
        return redirect(reverse("contracts:targets", args=[self.contract.pk]) + suffix)
