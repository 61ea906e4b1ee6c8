from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "simnet.tenancy"
    label = "tenancy"
    verbose_name = "Organizations and access"

    def ready(self) -> None:
        from simnet.tenancy import signals  # noqa: F401  (connects the audit receivers)
