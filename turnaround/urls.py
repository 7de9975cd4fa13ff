from django.contrib import admin
from django.urls import include, path

from contracts.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("contracts/", include("contracts.urls")),
    path("schools/", include("schools.urls")),
    path("", include("partners.urls")),
    path("measurements/", include("indicators.urls")),
    path("api/", include("turnaround.api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
