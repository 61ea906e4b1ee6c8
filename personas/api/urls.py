"""Panel and persona API routes; included by simnet/api_urls.py under /api/v1/."""

from rest_framework.routers import SimpleRouter

from personas.api import views

router = SimpleRouter()
router.register("panels", views.PanelViewSet, basename="api_panel")
router.register("personas", views.PersonaViewSet, basename="api_persona")

urlpatterns = router.urls
