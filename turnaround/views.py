"""Base pieces every page uses: login required, and every object read through its model's
`visible_to(user)` scope, so that anything outside a user's scope answers 404 (not 403).
And the user's own profile page, with their API tokens."""

from datetime import timedelta

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views import defaults
from django.views.generic import DetailView, ListView, TemplateView

from .forms import ApiTokenForm
from .tokens import MAX_ACTIVE_TOKENS, active_tokens, issue_token, revoke_token


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


class ProfileView(LoginRequiredMixin, TemplateView):
    """The user's profile: their role, and their API tokens (create, revoke). With htmx the token
    section is swapped in place; without it the whole page comes back."""

    template_name = "account/profile.html"
    fragment_template_name = "account/api_tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ApiTokenForm())
        context["tokens"] = active_tokens(self.request.user)
        context["max_tokens"] = MAX_ACTIVE_TOKENS
        return context

    def render_section(self, **context):
        template = (
            self.fragment_template_name if self.request.headers.get("HX-Request") else self.template_name
        )
        return self.response_class(
            request=self.request, template=[template], context=self.get_context_data(**context)
        )


class ApiTokenCreateView(ProfileView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.render_section(form=form)
        try:
            token, raw = issue_token(
                request.user,
                form.cleaned_data["name"],
                timedelta(days=form.cleaned_data["lifetime_days"]),
                scope=form.cleaned_data["scope"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.render_section(form=form)
        return self.render_section(new_token=raw, new_token_name=token.name)


class ApiTokenRevokeView(ProfileView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not revoke_token(request.user, kwargs["token_key"]):
            raise Http404("No such token.")
        return self.render_section(revoked=kwargs["token_key"])


def page_not_found(request, exception):
    """404: JSON under /api/ (clients read it), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
