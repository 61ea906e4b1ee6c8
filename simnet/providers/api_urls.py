"""Provider configuration endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simnet.providers import api

router = SimpleRouter()
router.register("providers", api.ProviderConfigViewSet, basename="api_provider")

urlpatterns = router.urls
