from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "simnet.providers"
    label = "providers"
    verbose_name = "Providers"
