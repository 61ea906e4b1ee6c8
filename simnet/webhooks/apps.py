from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "simnet.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
