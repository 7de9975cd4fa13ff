from django.urls import path

from . import designations, views

app_name = "partners"

# Included at the root: organizations under /partners/, field visits under /visits/.
urlpatterns = [
    path("partners/", views.OrganizationListView.as_view(), name="list"),
    path("partners/<int:pk>/", views.OrganizationDetailView.as_view(), name="detail"),
    path(
        "partners/<int:pk>/designations/new/", designations.DesignationView.as_view(), name="designation_new"
    ),
    path(
        "partners/designations/<int:designation>/edit/",
        designations.DesignationView.as_view(),
        name="designation_edit",
    ),
    path("visits/", views.FieldVisitListView.as_view(), name="visits"),
    path("visits/edit-window/", views.EditWindowView.as_view(), name="edit_window"),
    path("visits/new/", views.VisitCreateView.as_view(), name="visit_new"),
    path("visits/<int:pk>/edit/", views.VisitUpdateView.as_view(), name="visit_edit"),
    path("visits/<int:pk>/delete/", views.VisitDeleteView.as_view(), name="visit_delete"),
    path("visits/follow-up-row/", views.FollowUpRowView.as_view(), name="follow_up_row"),
    path("visits/follow-ups/", views.FollowUpListView.as_view(), name="follow_ups"),
    path("visits/follow-ups/<int:pk>/close/", views.FollowUpCloseView.as_view(), name="follow_up_close"),
    path("visits/presence/", views.PresenceView.as_view(), name="presence"),
    path("visits/presence/alert/", views.PresenceAlertView.as_view(), name="presence_alert"),
    path("visits/barriers/", views.BarrierView.as_view(), name="barriers"),
]
