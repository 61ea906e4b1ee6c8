from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "simnet.api"
    label = "simnet_api"
    verbose_name = "API infrastructure"
