"""Webhook settings pages; included by simnet/urls.py at ``settings/webhooks/``."""

from django.urls import path

from simnet.webhooks import views

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("new/", views.webhook_create, name="webhook_create"),
    path("<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("<int:endpoint_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/", views.webhook_delivery, name="webhook_delivery"),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
