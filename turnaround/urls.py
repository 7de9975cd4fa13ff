from django.contrib import admin
from django.urls import include, path

from turnaround.dashboard.views import DashboardView
from turnaround.views import ApiTokenCreateView, ApiTokenRevokeView, ProfileView

urlpatterns = [
    path("", DashboardView.as_view(), name="home"),
    path("dashboard/", include("turnaround.dashboard.urls")),
    path("contracts/", include("contracts.urls")),
    path("schools/", include("schools.urls")),
    path("", include("partners.urls")),
    path("measurements/", include("indicators.urls")),
    path("api/", include("turnaround.api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/profile/", ProfileView.as_view(), name="profile"),
    path("accounts/profile/tokens/", ApiTokenCreateView.as_view(), name="token_create"),
    path(
        "accounts/profile/tokens/<str:token_key>/revoke/", ApiTokenRevokeView.as_view(), name="token_revoke"
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]

handler404 = "turnaround.views.page_not_found"
