from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.MeasurementListView.as_view(), name="measurements"),
    path("verify/", views.BulkVerifyView.as_view(), name="bulk_verify"),
    path("<int:pk>/", views.MeasurementDetailView.as_view(), name="measurement_detail"),
    path("<int:pk>/verify/", views.MeasurementActionView.as_view(action="verify"), name="verify"),
    path("<int:pk>/dispute/", views.MeasurementActionView.as_view(action="dispute"), name="dispute"),
    path("<int:pk>/answer/", views.MeasurementActionView.as_view(action="answer"), name="answer"),
    path("imports/", views.ImportListView.as_view(), name="imports"),
    path("imports/new/", views.ImportCreateView.as_view(), name="import_new"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
]
