"""Import API routes; the lead includes this module under /api/v1/."""

from rest_framework.routers import SimpleRouter

from scraping import api

router = SimpleRouter()
router.register("imports", api.ImportJobViewSet, basename="api_import")

urlpatterns = router.urls
