"""Webhook API routes; included by simnet/api_urls.py at ``webhooks/``."""

from rest_framework.routers import SimpleRouter

from simnet.webhooks.api import DeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("endpoints", WebhookEndpointViewSet, basename="api_webhook_endpoint")
router.register("deliveries", DeliveryViewSet, basename="api_webhook_delivery")

urlpatterns = router.urls
