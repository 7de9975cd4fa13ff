"""Writes that span several rows of a contract. Each runs in one transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .models import (
    ALLOWED_TRANSITIONS,
    CLOSED_STATUSES,
    IN_FORCE_STATUSES,
    AutonomyItem,
    ContractAutonomy,
    ContractResponsibility,
    ContractSchool,
    ContractStatusChange,
    PerformanceContract,
    PreLaunchChecklistItem,
    PreLaunchTask,
    ResponsibilityItem,
)


@transaction.atomic
def create_contract(*, created_by=None, schools=None, **fields):
    """A new draft contract for a cluster, with the cluster's schools (or `schools`), the autonomy
    catalog (nothing granted yet), the responsibility split from the template (the items either
    side could own left undecided) and the pre-launch checklist. Validates the contract first."""
    contract = PerformanceContract(**fields)
    contract.full_clean()
    contract.save()
    schools = list(schools) if schools is not None else list(contract.cluster.schools.all())
    outside = [s.name for s in schools if s.district_id != contract.district_id]
    if outside:
        raise ValidationError({"schools": f"Not in the contract's district: {', '.join(outside)}."})
    bulk_create_with_history(
        [ContractSchool(contract=contract, school=s) for s in schools],
        ContractSchool,
        default_user=created_by,
    )
    ContractAutonomy.objects.bulk_create(
        [ContractAutonomy(contract=contract, item=item) for item in AutonomyItem.objects.all()]
    )
    ContractResponsibility.objects.bulk_create(
        [
            ContractResponsibility(contract=contract, item=item, owner=item.default_owner)
            for item in ResponsibilityItem.objects.all()
        ]
    )
    PreLaunchChecklistItem.objects.bulk_create(
        [PreLaunchChecklistItem(contract=contract, task=task) for task in PreLaunchTask.values]
    )
    ContractStatusChange.objects.create(
        contract=contract,
        from_status="",
        to_status="draft",
        changed_by=created_by,
        changed_at=timezone.now(),
        effective_on=timezone.localdate(),
        reason="Contract drafted.",
    )
    return contract


def allowed_next_statuses(contract):
    return sorted(ALLOWED_TRANSITIONS[contract.lifecycle_status])


@transaction.atomic
def transition_contract(contract, to_status, *, user=None, reason, effective_on: date | None = None):
    """Move a contract along one allowed edge of its lifecycle and record who, when and why.

    Keeps the contract's schools' in-force flags in step, so the database refuses a school that is
    already under another contract in force. Raises ValidationError with a clear message."""
    contract = PerformanceContract.objects.select_for_update().get(pk=contract.pk)
    current = contract.lifecycle_status
    if to_status not in ALLOWED_TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(current, set()))) or "none"
        raise ValidationError(
            {"lifecycle_status": f"A {current} contract cannot become {to_status} (allowed: {allowed})."}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the status changes."})
    effective_on = effective_on or timezone.localdate()
    change = ContractStatusChange.objects.create(
        contract=contract,
        from_status=current,
        to_status=to_status,
        changed_by=user,
        changed_at=timezone.now(),
        effective_on=effective_on,
        reason=reason.strip(),
    )
    contract.lifecycle_status = to_status
    if to_status in CLOSED_STATUSES:
        contract.ended_on = effective_on
    contract.save(update_fields=["lifecycle_status", "ended_on", "updated_at"])
    in_force = to_status in IN_FORCE_STATUSES
    if in_force:
        _claim_schools(contract)
    else:
        contract.school_links.update(in_force=False)
    return change


def _claim_schools(contract):
    """Mark the contract's schools in force; a school under another contract in force is refused."""
    clashes = (
        ContractSchool.objects.filter(school__in=contract.school_links.values("school_id"), in_force=True)
        .exclude(contract=contract)
        .select_related("school", "contract")
    )
    if clashes:
        names = "; ".join(f"{c.school} is under {c.contract}" for c in clashes)
        raise ValidationError({"schools": f"A school can be in only one contract in force: {names}."})
    try:
        with transaction.atomic():
            contract.school_links.update(in_force=True)
    except IntegrityError as exc:  # a concurrent transition claimed a school first
        raise ValidationError(
            {"schools": "A school of this contract was just put under another contract."}
        ) from exc


# RFPs and proposals --------------------------------------------------------------------------------


def latest_self_audit(organization_id, on_or_before=None):
    """The organization's latest self-audit completed on or before a date (any, if none by then)."""
    from partners.models import SelfAudit

    audits = SelfAudit.objects.filter(organization_id=organization_id).order_by("-completed_on")
    if on_or_before is not None:
        found = audits.filter(completed_on__lte=on_or_before).first()
        if found is not None:
            return found
    return audits.first()


@transaction.atomic
def save_proposal(proposal):
    """Score a proposal with the rubric (the self-audit on file when it was submitted) and save it."""
    from .rubric import CRITERIA, rubric_score, self_audit_rating

    audit = latest_self_audit(proposal.organization_id, proposal.submitted_on)
    proposal.self_audit = audit
    proposal.self_audit_rating = (
        self_audit_rating(audit.answers.values_list("answer", flat=True)) if audit else None
    )
    ratings = {c.field: getattr(proposal, c.field) for c in CRITERIA}
    if any(value is not None for value in ratings.values()) or proposal.score is None:
        proposal.score = rubric_score(ratings, proposal.self_audit_rating)
    # else: not rated on the rubric at all; a score recorded before (an imported one) stays.
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def select_proposal(proposal, *, user=None, cluster=None, new_cluster_name="", **terms):
    """Select a proposal: a draft contract for the RFP's schools with the proposal's organization
    as Lead Partner, pre-filled by create_contract (autonomy catalog, responsibility template,
    pre-launch checklist); the other proposals are not selected and the RFP is awarded.

    Without `cluster`, a new cluster named `new_cluster_name` is made of the RFP's schools."""
    from schools.models import Cluster, ClusterMembership

    from .models import Proposal, ProposalStatus, Rfp, RfpStatus

    rfp = Rfp.objects.select_for_update().get(pk=proposal.rfp_id)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if rfp.status in (RfpStatus.AWARDED, RfpStatus.CANCELLED):
        raise ValidationError(f"This RFP is {rfp.get_status_display().lower()}: no proposal can be selected.")
    if proposal.status == ProposalStatus.WITHDRAWN:
        raise ValidationError("A withdrawn proposal cannot be selected.")
    schools = list(rfp.schools.order_by("name"))
    if not schools:
        raise ValidationError("The RFP names no schools: add them before selecting a proposal.")
    if cluster is None:
        name = (new_cluster_name or "").strip()
        if not name:
            raise ValidationError({"new_cluster_name": "Name the new cluster, or choose an existing one."})
        if Cluster.objects.filter(district_id=rfp.district_id, name=name).exists():
            raise ValidationError({"new_cluster_name": f"The district already has a cluster named {name}."})
        cluster = Cluster.objects.create(district_id=rfp.district_id, name=name)
        bulk_create_with_history(
            [ClusterMembership(cluster=cluster, school=s) for s in schools],
            ClusterMembership,
            default_user=user,
        )
    elif cluster.district_id != rfp.district_id:
        raise ValidationError({"cluster": "The cluster must be in the RFP's district."})
    contract = create_contract(
        created_by=user,
        schools=schools,
        district_id=rfp.district_id,
        authority=rfp.authority,
        lead_partner_id=proposal.organization_id,
        cluster=cluster,
        proposal=proposal,
        **terms,
    )
    others = list(rfp.proposals.exclude(pk=proposal.pk).exclude(status=ProposalStatus.WITHDRAWN))
    for other in others:
        other.status = ProposalStatus.NOT_SELECTED
    bulk_update_with_history(others, Proposal, ["status"], default_user=user)
    proposal.status = ProposalStatus.SELECTED
    proposal.save(update_fields=["status"])
    rfp.status = RfpStatus.AWARDED
    rfp.save(update_fields=["status"])
    return contract


# Contract terms, schools and targets ---------------------------------------------------------------


@transaction.atomic
def set_contract_schools(contract, schools):
    """The schools a contract covers. New schools of a contract in force are claimed at once (the
    database refuses a school under another contract in force); a school with targets stays until
    its targets are removed."""
    from .models import Target

    wanted = {s.pk: s for s in schools}
    outside = sorted(s.name for s in wanted.values() if s.district_id != contract.district_id)
    if outside:
        raise ValidationError({"schools": f"Not in the contract's district: {', '.join(outside)}."})
    if not wanted:
        raise ValidationError({"schools": "A contract covers at least one school."})
    current = set(contract.school_links.values_list("school_id", flat=True))
    removed = current - set(wanted)
    with_targets = sorted(
        Target.objects.filter(contract=contract, school_id__in=removed)
        .values_list("school__name", flat=True)
        .distinct()
    )
    if with_targets:
        raise ValidationError(
            {"schools": f"Remove the targets of {', '.join(with_targets)} before taking it off the contract."}
        )
    contract.school_links.filter(school_id__in=removed).delete()
    added = [ContractSchool(contract=contract, school_id=pk) for pk in wanted if pk not in current]
    bulk_create_with_history(added, ContractSchool)
    if added and contract.is_in_force:
        _claim_schools(contract)
    if added or removed:
        _schedule_recompute([contract.pk])
    return sorted(set(wanted) - current), sorted(removed)


@transaction.atomic
def save_target_grid(contract, school, baselines, targets, accountabilities=None, *, user=None):
    """Write one scope's target grid (cluster-wide when `school` is None): `baselines` maps an
    indicator id to its baseline (or None), `targets` maps (indicator id, contract year) to a target
    (None removes the target), `accountabilities` the same keys to the target's accountability
    (default, accountable, monitored; a key left out keeps the target's, or the default for a new
    one). Unchanged targets are left alone; every
    change is in the targets' history. Returns (created, updated, removed)."""
    from .models import Accountability, Target

    existing = {
        (t.indicator_id, t.contract_year): t
        for t in Target.objects.filter(contract=contract, school=school).order_by("pk").select_for_update()
    }
    accountabilities = accountabilities or {}
    created, updated, removed = [], [], []
    for (indicator_id, year), value in targets.items():
        baseline = baselines.get(indicator_id)
        row = existing.get((indicator_id, year))
        accountability = accountabilities.get(
            (indicator_id, year), row.accountability if row else Accountability.DEFAULT
        )
        if value is None:
            if row is not None:
                removed.append(row)
        elif row is None:
            created.append(
                Target(
                    contract=contract,
                    school=school,
                    indicator_id=indicator_id,
                    contract_year=year,
                    baseline=baseline,
                    target=value,
                    accountability=accountability,
                )
            )
        elif (row.target, row.baseline, row.accountability) != (value, baseline, accountability):
            row.target, row.baseline, row.accountability = value, baseline, accountability
            updated.append(row)
    for row in removed:
        row.delete()  # one by one, so that the history records each removal
    if created:
        bulk_create_with_history(created, Target, default_user=user)
    if updated:
        bulk_update_with_history(updated, Target, ["target", "baseline", "accountability"], default_user=user)
    if created or updated or removed:
        _schedule_recompute([contract.pk])
    return len(created), len(updated), len(removed)


def _schedule_recompute(contract_ids):
    from indicators.tasks import schedule_recompute

    schedule_recompute(contract_ids)


# Reviews and decisions ---------------------------------------------------------------------------

# The lifecycle move each kind of decision makes; "continue" keeps the status.
DECISION_TRANSITIONS = {
    "continue": None,
    "probation": "probation",
    "lift_probation": "active",
    "renewal": "renewed",
    "termination": "terminated",
    "completion": "completed",
}


def evidence_snapshot(contract, verified_only=False):
    """The evidence a decision rests on: every indicator status of the contract with its values,
    as the engine computed them last or, with `verified_only`, computed now by the engine from
    the values the district has verified alone (nothing written)."""
    from indicators import engine
    from indicators.models import Indicator, IndicatorStatus
    from schools.models import School

    if not verified_only:
        rows = (
            IndicatorStatus.objects.filter(contract=contract)
            .select_related("indicator", "school")
            .order_by("contract_year", "indicator__order", "school__name")
        )
        return [_evidence_row(row.indicator, row.school, vars(row), "all") for row in rows]
    computed = engine.evaluate([contract.pk], verified_only=True)
    indicators = Indicator.objects.in_bulk({r["indicator_id"] for r in computed})
    schools = School.objects.in_bulk({r["school_id"] for r in computed if r["school_id"]})
    computed.sort(
        key=lambda r: (
            r["contract_year"],
            indicators[r["indicator_id"]].order,
            schools[r["school_id"]].name if r["school_id"] else "",
        )
    )
    return [
        _evidence_row(indicators[r["indicator_id"]], schools.get(r["school_id"]), r, "verified")
        for r in computed
    ]


def _evidence_row(indicator, school, values, basis):
    def iso(value):
        return value if isinstance(value, str) else value.isoformat()

    return {
        "indicator": indicator.code,
        "indicator_name": indicator.name,
        "kind": indicator.kind,
        "accountable": bool(values["accountable"]),
        "contract_year": values["contract_year"],
        "school": school.name if school else None,
        "school_id": school.pk if school else None,
        "baseline": values["baseline"],
        "target": values["target"],
        "value": values["value"],
        "progress": None if values["progress"] is None else round(values["progress"], 4),
        "status": values["status"],
        "projection": values["projection"],
        "as_of": iso(values["as_of"]),
        "computed_at": iso(values["computed_at"]),
        "values": basis,
    }


@transaction.atomic
def record_decision(contract, *, kind, decided_on, rationale, review=None, user=None, verified_only=False):
    """A renewal, probation, termination (...) decision: the lifecycle move it makes, if any (an
    edge the lifecycle refuses refuses the decision), and the evidence as it stands (from the
    verified values alone with `verified_only`)."""
    from .models import ContractDecision

    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError({"rationale": "Give the rationale of the decision."})
    if review is not None and review.contract_id != contract.pk:
        raise ValidationError({"review": "The review is of another contract."})
    change = None
    to_status = DECISION_TRANSITIONS[kind]
    if to_status is not None:
        try:
            change = transition_contract(
                contract, to_status, user=user, reason=rationale, effective_on=decided_on
            )
        except ValidationError as exc:
            raise ValidationError({"kind": exc.messages}) from exc
    return ContractDecision.objects.create(
        contract=contract,
        review=review,
        kind=kind,
        decided_on=decided_on,
        decided_by=user,
        rationale=rationale,
        evidence=evidence_snapshot(contract, verified_only=verified_only),
        status_change=change,
    )
