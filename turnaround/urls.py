from django.contrib import admin
from django.urls import include, path

from dashboard.views import DashboardView

urlpatterns = [
    path("", DashboardView.as_view(), name="home"),
    path("dashboard/", include("dashboard.urls")),
    path("contracts/", include("contracts.urls")),
    path("schools/", include("schools.urls")),
    path("", include("partners.urls")),
    path("measurements/", include("indicators.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
