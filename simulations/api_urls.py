"""Simulations API routes; included by simnet/api_urls.py under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simulations import api, run_api

RUN_ROWS = r"runs/(?P<run_id>[^/.]+)"  # like the router's own lookups; not a number -> 404

router = SimpleRouter()
router.register("providers", api.ProviderConfigViewSet, basename="api_provider")
router.register("scenarios", api.ScenarioViewSet, basename="api_scenario")
router.register("experiments", api.ExperimentViewSet, basename="api_experiment")
router.register("runs", run_api.RunViewSet, basename="api_run")
router.register(f"{RUN_ROWS}/actions", run_api.RunActionViewSet, basename="api_run_action")
router.register(f"{RUN_ROWS}/posts", run_api.RunPostViewSet, basename="api_run_post")
router.register(f"{RUN_ROWS}/events", run_api.RunEventViewSet, basename="api_run_event")

urlpatterns = router.urls
