from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="imports"),
    path("imports/new/", views.ImportCreateView.as_view(), name="import_new"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
]
