"""Briefs API routes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simulations.briefs import api

router = SimpleRouter()
router.register("briefs", api.BriefViewSet, basename="api_brief")

urlpatterns = router.urls
