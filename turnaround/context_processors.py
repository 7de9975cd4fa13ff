from .roles import viewer_for


def role(request):
    """The current user's Viewer, for navigation that fits the role."""
    return {"viewer": viewer_for(getattr(request, "user", None))}
