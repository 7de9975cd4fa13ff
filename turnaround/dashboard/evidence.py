"""The evidence pack of one contract: a PDF for a renewal meeting with its terms, autonomies,
responsibility split, targets, statuses year by year, the indicator charts (drawn on the server as
SVG), reviews, decisions and lifecycle history. A fixed number of queries per contract, whatever
its size."""

from itertools import groupby

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone

from contracts.models import (
    ContractDecision,
    ContractReview,
    ContractStatusChange,
    PerformanceContract,
    Subcontract,
    Target,
)
from contracts.views import ContractDetailView, with_phase
from indicators.models import ContractPerformance, IndicatorStatus
from turnaround.views import scoped_object_or_404

from . import svg

# The pack's styles: a static file, read from the disk, since no template may carry an inline <style>
# (the Content Security Policy, docs/operations.md).
STYLESHEET = "css/evidence-pack.css"
STATUS_COLOURS = {"value": "#0d6efd", "target": "#198754", "baseline": "#6c757d", "projection": "#fd7e14"}


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it draws with (Pango) are missing."""


def evidence_context(user, pk):
    """Everything the evidence pack shows, for a contract `user` may see (Http404 otherwise)."""
    contract = scoped_object_or_404(
        PerformanceContract.objects.with_related().select_related("cluster__zone"), user, pk=pk
    )
    today = timezone.localdate()
    with_phase([contract], today)
    statuses = list(
        IndicatorStatus.objects.filter(contract=contract)
        .select_related("indicator", "school")
        .order_by("indicator__order", "indicator__code", "contract_year", "school__name")
    )
    targets = list(
        Target.objects.filter(contract=contract)
        .select_related("indicator", "school")
        .order_by("indicator__order", "indicator__code", "school__name", "contract_year")
    )
    performance = ContractPerformance.objects.filter(contract=contract).first()
    cluster_rows = [s for s in statuses if s.school_id is None]
    current_year = performance.contract_year if performance else None
    years = list(range(1, (contract.term_years or 5) + 1))
    return {
        "contract": contract,
        "today": today,
        "generated_at": timezone.localtime(),
        "performance": performance,
        "current_year": current_year,
        "years": years,
        "autonomy_groups": ContractDetailView.autonomy_groups(contract),
        **ContractDetailView.responsibility_matrix(contract),
        "target_rows": target_grid(targets, years),
        "cluster_statuses": cluster_rows,
        "school_statuses": [s for s in statuses if s.school_id and s.contract_year == current_year],
        "charts": indicator_charts(cluster_rows, targets, current_year),
        "subcontracts": Subcontract.objects.filter(contract=contract).select_related("supporting_partner"),
        "reviews": ContractReview.objects.filter(contract=contract).select_related("reviewer"),
        "decisions": ContractDecision.objects.filter(contract=contract).select_related("decided_by"),
        "status_changes": ContractStatusChange.objects.filter(contract=contract).select_related("changed_by"),
    }


def target_grid(targets, years):
    """One row per indicator and school (None: cluster-wide) with the baseline and the target of
    each contract year (None where there is none)."""
    rows = []
    for (indicator, school), group in groupby(targets, key=lambda t: (t.indicator, t.school)):
        group = list(group)
        rows.append(
            {
                "indicator": indicator,
                "school": school,
                "baseline": next((t.baseline for t in group if t.baseline is not None), None),
                "cells": [next((t.target for t in group if t.contract_year == y), None) for y in years],
            }
        )
    rows.sort(
        key=lambda r: (r["indicator"].order, r["indicator"].code, r["school"] is not None, str(r["school"]))
    )
    return rows


def indicator_charts(cluster_rows, targets, current_year):
    """One chart per indicator with cluster-wide targets: baseline (year 0), target and value per
    contract year, and the projected year-end value of the year under way (`current_year`)."""
    by_indicator = {}

    def entry(indicator):
        return by_indicator.setdefault(indicator, {"targets": {}, "statuses": {}})

    for target in targets:
        if target.school_id is None:
            entry(target.indicator)["targets"][target.contract_year] = target
    for row in cluster_rows:
        entry(row.indicator)["statuses"][row.contract_year] = row
    charts = []
    for indicator in sorted(by_indicator, key=lambda i: (i.order, i.code)):
        data = by_indicator[indicator]
        years = sorted(set(data["targets"]) | set(data["statuses"]))
        if not years:
            continue
        baseline = next(
            (t.baseline for t in data["targets"].values() if t.baseline is not None),
            next((s.baseline for s in data["statuses"].values() if s.baseline is not None), None),
        )
        values = [(0, baseline)] + [
            (y, year_value(indicator, data["statuses"].get(y), under_way=y == current_year)) for y in years
        ]
        series = [
            svg.Series(
                "Target",
                STATUS_COLOURS["target"],
                [(0, baseline)] + [(y, getattr(data["targets"].get(y), "target", None)) for y in years],
                dashed=True,
            ),
            svg.Series(
                "Value",
                STATUS_COLOURS["value"],
                values,
            ),
        ]
        current = data["statuses"].get(current_year)
        if current is not None and current.projection is not None:
            # From the year before (or the baseline) to the projected end of the year under way.
            before = dict(values).get(current_year - 1)
            series.append(
                svg.Series(
                    "Projected year end",
                    STATUS_COLOURS["projection"],
                    [(current_year - 1, before), (current_year, current.projection)],
                    dashed=True,
                )
            )
        chart = svg.LineChart(
            title=indicator.name,
            unit=indicator.get_unit_display(),
            series=series,
            x_labels=[(0, "Baseline")] + [(y, f"Year {y}") for y in years],
        )
        latest = data["statuses"].get(max(data["statuses"])) if data["statuses"] else None
        charts.append({"indicator": indicator, "svg": svg.render(chart), "latest": latest})
    return charts


def year_value(indicator, status, under_way):
    """The value of a contract year to chart: a summed indicator's part-year total is no value of
    the year, so a year still under way shows only its projection; nor is the value of the schools
    that reported of an incomplete year (the note under the chart says how many did)."""
    if status is None or status.value is None or status.status == "incomplete":
        return None
    if under_way and indicator.aggregation == "sum":
        return None
    return status.value


def render_pdf(context):
    """The evidence pack as PDF bytes."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango or its fonts are missing
        raise PdfUnavailable(
            "PDF export needs WeasyPrint and the Pango library (Debian: libpango-1.0-0 libpangoft2-1.0-0)."
        ) from exc
    from weasyprint import CSS

    html = render_to_string("dashboard/evidence_pack.html", context)
    stylesheet = CSS(filename=stylesheet_path(), url_fetcher=_no_fetching)
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf(stylesheets=[stylesheet])


def stylesheet_path():
    """The pack's stylesheet on the disk: in the static folders, or where collectstatic put it."""
    path = finders.find(STYLESHEET)
    if path is None and staticfiles_storage.exists(STYLESHEET):
        path = staticfiles_storage.path(STYLESHEET)
    if path is None:
        raise PdfUnavailable(f"The evidence pack's stylesheet static/{STYLESHEET} is missing.")
    return path


def _no_fetching(url, *args, **kwargs):
    """The pack is self-contained: nothing is fetched, from the network or the disk."""
    raise ValueError(f"The evidence pack does not load {url}")
