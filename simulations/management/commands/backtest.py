"""Backtest a panel in this process and print the scores of the provider and the rule baseline."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from personas.models import Panel
from simnet.llm.registry import PROVIDER_KINDS
from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.insight import backtests
from simulations.models import Backtest


class Command(BaseCommand):
    help = (
        "Show real posts to a panel's imported personas, simulate their reactions with a provider and with the "
        "rule baseline, and score both against what those people really did (their held-out history). "
        "Without --stimulus-text, every post several of them reacted to in their held-out history is used."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization that owns the panel")
        parser.add_argument("--panel", type=int, help="id of a panel of imported personas")
        parser.add_argument("--provider", choices=PROVIDER_KINDS, default="offline")
        parser.add_argument(
            "--provider-config",
            type=int,
            help="id of a provider configuration (needed for anthropic/openai_compat)",
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--stimulus-text", help="text of the real post the personas saw")
        source.add_argument(
            "--held-out", action="store_true", help="use the held-out history's shared posts (default)"
        )
        parser.add_argument("--author", default="", help="handle of the real post's author")
        parser.add_argument(
            "--target-id", default="", help="platform id of the real post, to match its reactions"
        )
        parser.add_argument("--replicates", type=int, default=3, help="simulations per post (1-10)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--list", action="store_true", help="list past backtests per provider/model instead"
        )

    def handle(self, *args, **opts):
        organization = Organization.objects.filter(slug=opts["org"]).first()
        if organization is None:
            raise CommandError(f"no organization with slug {opts['org']!r}")
        if opts["list"]:
            return self._list(organization)
        if opts["panel"] is None:
            raise CommandError("--panel is required (or --list)")
        panel = Panel.objects.for_org(organization).filter(pk=opts["panel"]).first()
        if panel is None:
            raise CommandError(f"no panel {opts['panel']} owned by {organization.slug}")
        config = None
        if opts["provider_config"] is not None:
            config = ProviderConfig.objects.for_org(organization).filter(pk=opts["provider_config"]).first()
            if config is None:
                raise CommandError(
                    f"no provider configuration {opts['provider_config']} in {organization.slug}"
                )
        try:
            backtest = backtests.backtest_create(
                organization=organization,
                actor=SYSTEM,
                enqueue=False,
                panel=panel,
                provider_kind=config.kind if config else opts["provider"],
                provider_config=config,
                source=Backtest.Source.STIMULUS if opts["stimulus_text"] else Backtest.Source.HELD_OUT,
                stimulus_text=opts["stimulus_text"] or "",
                stimulus_author=opts["author"],
                target_id=opts["target_id"],
                replicates=opts["replicates"],
                seed=opts["seed"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"backtest #{backtest.pk}: {backtest.provider_label} and the rule baseline on {panel.name} …"
        )
        backtest = backtests.backtest_execute(backtest_id=backtest.pk)
        if backtest.status != Backtest.Status.COMPLETED:
            raise CommandError(f"backtest #{backtest.pk} failed: {backtest.status_reason}")
        result = backtest.result
        self.stdout.write(
            f"Backtest #{backtest.pk}: {result['population']} personas × {len(result['cases'])} real "
            f"post{'s' if len(result['cases']) != 1 else ''} "
            f"({result['skipped_cases']} left out), {backtest.replicates} replicates each\n"
        )
        self.stdout.write(result["markdown"])
        for label, decisions in result["decisions"].items():
            failed = result["failed_decisions"][label]
            self.stdout.write(
                f"{label}: {decisions} decisions, {failed} refused or failed (counted as ignoring)"
            )

    def _list(self, organization):
        rows = backtests.backtest_list(organization=organization).select_related("panel")
        by_provider: dict[str, list[Backtest]] = {}
        for backtest in rows:
            by_provider.setdefault(backtest.provider_label, []).append(backtest)
        for label in sorted(by_provider):
            self.stdout.write(f"{label}:")
            for b in by_provider[label]:
                chosen = next(
                    (
                        r
                        for r in b.result.get("table", {}).get("rows", [])
                        if r["provider"] == b.result.get("chosen")
                    ),
                    None,
                )
                auc = chosen["roc_auc"] if chosen else None
                self.stdout.write(
                    f"  #{b.pk} {b.created_at:%Y-%m-%d %H:%M} {b.status:<9} panel {b.panel.name!r} "
                    f"ROC AUC {'—' if auc is None else f'{auc:.3f}'}"
                )
