from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "personas"
    verbose_name = "Personas and panels"

    def ready(self):
        from personas.summaries import summaries_spend
        from simnet.providers import spend

        spend.register("persona summaries", summaries_spend)
