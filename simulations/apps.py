from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    name = "simulations"
    verbose_name = "Simulations"

    def ready(self):
        from simnet.providers import services, spend
        from simulations.briefs.spend import briefs_spend
        from simulations.insight.backtests import backtests_using
        from simulations.insight.panel_questions_spend import questions_spend
        from simulations.runs.services import runs_spend, runs_using

        spend.register("runs", runs_spend)
        spend.register("panel questions", questions_spend)
        spend.register("brief extractions", briefs_spend)
        services.register_user("unfinished runs", runs_using)
        services.register_user("unfinished backtests", backtests_using)
