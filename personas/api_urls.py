"""Panel and persona API routes; the lead includes this module under /api/v1/."""

from rest_framework.routers import SimpleRouter

from personas import api

router = SimpleRouter()
router.register("panels", api.PanelViewSet, basename="api_panel")
router.register("personas", api.PersonaViewSet, basename="api_persona")

urlpatterns = router.urls
