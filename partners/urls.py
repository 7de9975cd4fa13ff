from django.urls import path

from . import views

app_name = "partners"

# Included at the root: organizations under /partners/, field visits under /visits/.
urlpatterns = [
    path("partners/", views.OrganizationListView.as_view(), name="list"),
    path("partners/<int:pk>/", views.OrganizationDetailView.as_view(), name="detail"),
    path("visits/", views.FieldVisitListView.as_view(), name="visits"),
]
