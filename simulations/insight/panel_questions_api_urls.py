"""Panel questions API routes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simulations.insight import panel_questions_api

router = SimpleRouter()
router.register("panel-questions", panel_questions_api.PanelQuestionViewSet, basename="api_panel_question")

urlpatterns = router.urls
