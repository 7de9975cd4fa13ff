from django.urls import path

from . import views, workflow_views

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="list"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="detail"),
    path("<int:pk>/statuses/", views.ContractStatusesView.as_view(), name="statuses"),
    # The workflow: RFPs and proposals,
    path("rfps/", workflow_views.RfpListView.as_view(), name="rfps"),
    path("rfps/new/", workflow_views.RfpCreateView.as_view(), name="rfp_create"),
    path("rfps/<int:pk>/", workflow_views.RfpDetailView.as_view(), name="rfp_detail"),
    path("rfps/<int:pk>/edit/", workflow_views.RfpUpdateView.as_view(), name="rfp_edit"),
    path("rfps/<int:pk>/proposals/new/", workflow_views.ProposalCreateView.as_view(), name="proposal_create"),
    path("proposals/<int:pk>/edit/", workflow_views.ProposalUpdateView.as_view(), name="proposal_edit"),
    path("proposals/<int:pk>/select/", workflow_views.ProposalSelectView.as_view(), name="proposal_select"),
    path("proposals/self-audit/", workflow_views.SelfAuditPreviewView.as_view(), name="self_audit_preview"),
    # then the contract's terms and what it carries, its lifecycle, reviews and decisions.
    path("<int:pk>/edit/", workflow_views.ContractTermsView.as_view(), name="edit"),
    path("<int:pk>/schools/", workflow_views.ContractSchoolsView.as_view(), name="schools"),
    path("<int:pk>/autonomies/", workflow_views.AutonomiesView.as_view(), name="autonomies"),
    path(
        "<int:pk>/responsibilities/", workflow_views.ResponsibilitiesView.as_view(), name="responsibilities"
    ),
    path("<int:pk>/checklist/", workflow_views.ChecklistView.as_view(), name="checklist"),
    path("<int:pk>/targets/", workflow_views.TargetGridView.as_view(), name="targets"),
    path("<int:pk>/status/", workflow_views.ContractTransitionView.as_view(), name="transition"),
    path("<int:pk>/reviews/new/", workflow_views.ReviewCreateView.as_view(), name="review_create"),
    path(
        "<int:pk>/reviews/<int:review_pk>/edit/",
        workflow_views.ReviewUpdateView.as_view(),
        name="review_edit",
    ),
    path("<int:pk>/decisions/new/", workflow_views.DecisionCreateView.as_view(), name="decision_create"),
]
