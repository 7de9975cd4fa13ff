from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("attention/", views.AttentionView.as_view(), name="attention"),
    path("contracts.csv", views.DashboardCsvView.as_view(), name="export_csv"),
    path("contracts/<int:pk>/evidence-pack.pdf", views.EvidencePackView.as_view(), name="evidence_pack"),
]
