"""Backtest a panel (reactions after a cut-off) or an account (engagement) in this process and print
the tables with their intervals, the warnings and the calibration."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from personas.models import Panel
from simnet.llm.registry import PROVIDER_KINDS
from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.insight import backtests, forecast
from simulations.models import Backtest


class Command(BaseCommand):
    help = (
        "Reactions: predict who reacts to the panel's posts after one cut-off (the reaction model, the rule "
        "baseline, the provider and the hybrid) against reference predictors. Engagement: forecast each of an "
        "account's last N posts from the ones before it. Every score comes with its 95% interval and n."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization that owns the panel")
        parser.add_argument("--panel", type=int, help="id of a panel of imported personas")
        parser.add_argument("--mode", choices=Backtest.Mode.values, default=Backtest.Mode.REACTIONS)
        parser.add_argument(
            "--cutoff", help="reactions: ISO time of the cut-off (default: last quarter of posts)"
        )
        parser.add_argument("--account", type=int, help="engagement: id of the imported account")
        parser.add_argument("--handle", help="engagement: handle of the imported account")
        parser.add_argument(
            "--last", type=int, default=200, help="engagement: posts forecast (rolling origins)"
        )
        parser.add_argument("--provider", choices=PROVIDER_KINDS, default="offline")
        parser.add_argument("--provider-config", type=int, help="id of a provider configuration")
        parser.add_argument("--replicates", type=int, default=1, help="simulations per post (1-10)")
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
        cutoff = parse_datetime(opts["cutoff"]) if opts["cutoff"] else None
        if opts["cutoff"] and cutoff is None:
            raise CommandError(f"--cutoff {opts['cutoff']!r} is not an ISO time")
        try:
            account = None
            if opts["account"] is not None or opts["handle"]:
                account = forecast.account_find(
                    organization=organization, account_id=opts["account"], handle=opts["handle"] or ""
                )
            backtest = backtests.backtest_create(
                organization=organization, actor=SYSTEM, enqueue=False, panel=panel, mode=opts["mode"],
                cutoff=cutoff, account=account, last_n=opts["last"],
                provider_kind=config.kind if config else opts["provider"], provider_config=config,
                replicates=opts["replicates"], seed=opts["seed"],
            )  # fmt: skip
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"backtest #{backtest.pk} ({backtest.mode}) on {panel.name} …")
        backtest = backtests.backtest_execute(backtest_id=backtest.pk)
        if backtest.status != Backtest.Status.COMPLETED:
            raise CommandError(f"backtest #{backtest.pk} failed: {backtest.status_reason}")
        self._print(backtest)

    def _print(self, backtest: Backtest) -> None:
        result = backtest.result
        self.stdout.write(
            f"Backtest #{backtest.pk} ({result['mode']}): cut-off {result['cutoff']}, {result['population']} "
            f"member(s), {result['test_posts']} test posts\n"
        )
        self.stdout.write(result["markdown"])
        if result["warnings"]:
            self.stdout.write("\nWarnings:")
            for warning in result["warnings"]:
                self.stdout.write(f"- {warning['code']}: {warning['text']}")
        if result["calibration"]:
            calibration = result["calibration"]
            self.stdout.write(
                f"\nCalibration of p(engage): Brier {calibration['brier']:.4f}, n = {calibration['n']}"
            )
            for b in calibration["bins"]:
                if b["count"]:
                    self.stdout.write(
                        f"  {b['low']:.1f}-{b['high']:.1f}: predicted {b['mean_predicted']:.3f}, "
                        f"observed {b['observed_rate']:.3f}, n = {b['count']}"
                    )
        for c in result["coverage"]:
            self.stdout.write(
                f"80% interval coverage, {c['metric']}: {c['share']:.0%} [{c['low']:.0%}, {c['high']:.0%}], n = {c['n']}"
            )
        for label, decisions in result["decisions"].items():
            failed = result["failed_decisions"][label]
            self.stdout.write(
                f"{label}: {decisions} decisions, {failed} refused or failed (counted as ignoring)"
            )

    def _list(self, organization):
        self.stdout.write("Panels of imported accounts (--panel):")
        imported = Panel.objects.for_org(organization).filter(kind=Panel.Kind.IMPORTED).order_by("pk")
        for panel in imported:
            self.stdout.write(f"  {panel.pk} {panel.name!r}")
        if not imported:
            self.stdout.write("  none yet: import accounts first")
        rows = backtests.backtest_list(organization=organization).select_related("panel")
        by_provider: dict[str, list[Backtest]] = {}
        for backtest in rows:
            by_provider.setdefault(backtest.provider_label, []).append(backtest)
        for label in sorted(by_provider):
            self.stdout.write(f"{label}:")
            for b in by_provider[label]:
                beats = [
                    row["name"]
                    for t in b.result.get("tables", [])
                    for row in t["rows"]
                    if row["beats_all_references"]
                ]
                self.stdout.write(
                    f"  #{b.pk} {b.created_at:%Y-%m-%d %H:%M} {b.mode:<10} {b.status:<9} panel {b.panel.name!r} "
                    f"beats all references: {', '.join(sorted(set(beats))) or '—'}"
                )
