"""Base pieces every page uses: login required, and every object read through its model's
`visible_to(user)` scope, so that anything outside a user's scope answers 404 (not 403)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView


def scoped_queryset(model_or_queryset, user):
    """The rows of a model (or a queryset of it) that `user` may see."""
    if isinstance(model_or_queryset, type) and issubclass(model_or_queryset, Model):
        model_or_queryset = model_or_queryset._default_manager.all()
    return model_or_queryset.visible_to(user)


def scoped_object_or_404(model_or_queryset, user, **lookup):
    """One object `user` may see, or Http404: out of scope and missing look the same."""
    return get_object_or_404(scoped_queryset(model_or_queryset, user), **lookup)


class ScopedQuerysetMixin(LoginRequiredMixin):
    """Login required; `get_queryset()` is `base_queryset()` narrowed to what the user may see.

    Views say what to fetch in `base_queryset()` (select_related and so on), never whom for."""

    model = None
    queryset = None

    def base_queryset(self):
        if self.queryset is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_queryset(self):
        return scoped_queryset(self.base_queryset(), self.request.user)


class ScopedListView(ScopedQuerysetMixin, ListView):
    """A list of the objects the user may see."""


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    """One object the user may see, looked up by pk; 404 for anything else."""

    def get_object(self, queryset=None):
        return scoped_object_or_404(self.base_queryset(), self.request.user, pk=self.kwargs["pk"])
