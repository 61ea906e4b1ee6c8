"""Scenario and experiment endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simulations.scenarios import api, media_api

router = SimpleRouter()
router.register("scenarios", api.ScenarioViewSet, basename="api_scenario")
router.register("experiments", api.ExperimentViewSet, basename="api_experiment")
router.register("stimuli", media_api.StimulusViewSet, basename="api_stimulus")

urlpatterns = router.urls
