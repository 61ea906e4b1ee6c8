from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "simnet.tenancy"
    label = "tenancy"
    verbose_name = "Organizations and access"
