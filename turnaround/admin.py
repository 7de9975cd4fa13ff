from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, SecurityEvent, UserProfile


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows the portal writes itself (computed statuses, the lifecycle's record): to look at,
    never to add, change or delete by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """The admin's history view of a model (django-simple-history), to read: a past version is
    shown, never reverted to or edited (the audit trail is not editable)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("The history is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    autocomplete_fields = ["district", "state", "organization"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PortalUserAdmin(UserAdmin):
    inlines = [UserProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "role", "body", "is_active", "is_staff"]
    list_filter = ["profile__role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["profile__district", "profile__state", "profile__organization"]

    @admin.display(description="role", ordering="profile__role")
    def role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description="belongs to")
    def body(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.body if profile else "—"


@admin.register(UserProfile)
class UserProfileAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "role", "district", "state", "organization", "title"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["district", "state", "organization"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "district", "state", "organization"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Users create their tokens on their profile page (only they ever see one); here an
    administrator sees which exist and revokes (deletes) them."""

    list_display = ["name", "user", "token_key", "scope", "created", "expiry"]
    list_filter = ["scope"]
    search_fields = ["name", "token_key", "user__username"]
    list_select_related = ["user"]
    fields = ["name", "user", "token_key", "scope", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """The security log (turnaround/security.py): sign-ins, failed sign-ins, sign-outs, API tokens
    issued and revoked, password, role and access changes. Append-only: read here, never changed."""

    list_display = ["at", "kind", "username", "actor", "address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "actor", "address", "detail"]
    date_hierarchy = "at"
    fields = ["at", "kind", "username", "user_pk", "actor", "address", "detail"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
