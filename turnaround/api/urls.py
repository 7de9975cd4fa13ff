"""/api/v1/ (the resources), /api/schema/ (OpenAPI 3) and /api/docs/ (interactive docs)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .auth import ObtainTokenView
from .contracts import ContractViewSet, TargetViewSet
from .indicators import ImportViewSet, IndicatorViewSet, MeasurementViewSet
from .partners import FieldVisitViewSet, OrganizationViewSet
from .schools import ClusterViewSet, DistrictViewSet, SchoolViewSet


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = Router()
router.register("districts", DistrictViewSet, basename="district")
router.register("schools", SchoolViewSet, basename="school")
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("partners", OrganizationViewSet, basename="partner")
router.register("contracts", ContractViewSet, basename="contract")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("targets", TargetViewSet, basename="target")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("imports", ImportViewSet, basename="import")
router.register("field-visits", FieldVisitViewSet, basename="field-visit")

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", ObtainTokenView.as_view(), name="token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (/api/docs/?script=),
    # and the template links its styles: the Content Security Policy allows no inline script or style.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
]
