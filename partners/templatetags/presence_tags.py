"""Presence on other apps' pages without touching their views: the heatmap of a contract's schools
(contract page). The home page's under-presence alert is a fragment of its own
(partners.views.PresenceAlertView), fetched after the page."""

from django import template

from schools.models import School

from .. import presence

register = template.Library()


@register.inclusion_tag("partners/presence_heatmap.html", takes_context=True)
def presence_heatmap(context, contract, weeks=presence.HEATMAP_WEEKS):
    """The presence heatmap of a contract's schools that the user may see (contracts on the ground
    only: before launch and after the end there is no presence to show)."""
    from contracts.models import ON_THE_GROUND_STATUSES

    user = context["request"].user
    grid = None
    if contract.lifecycle_status in ON_THE_GROUND_STATUSES:
        schools = School.objects.visible_to(user).filter(contract_links__contract=contract)
        grid = presence.grid(schools, weeks=weeks, start=contract.start_date)
    return {"presence": grid, "heatmap_id": f"presence-contract-{contract.pk}", "request": context["request"]}
