from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "simnet.api"
    label = "simnet_api"
    verbose_name = "API infrastructure"

    def ready(self) -> None:
        from simnet.api import schema  # noqa: F401  (registers the OpenAPI description of API tokens)
