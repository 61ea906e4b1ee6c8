"""Sample a population panel from survey data with quotas, and print its marginals next to the targets."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from personas.builders.population_data import DEFAULT_SOURCE, load_source
from personas.builders.sampling import resolve_quotas
from personas.management.commands._common import organization_by_slug
from personas.selectors import panel_trait_charts
from personas.services.synthetic import panel_create_population, parse_quota_text
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError


class Command(BaseCommand):
    help = "Sample N personas from a survey source into a new panel, with optional quotas."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization that owns the panel")
        parser.add_argument("--n", type=int, required=True, help="number of personas")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--source", default=DEFAULT_SOURCE, help="tv16 (CCES 2016, default) or anes96")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--quota",
            action="append",
            default=[],
            metavar="FIELD=CAT:PCT,...",
            help="e.g. party=dem:40,rep:40,ind:20 (categories by name or unique prefix); repeat per field",
        )

    def handle(self, *args, org: str, n: int, seed: int, source: str, name: str, quota: list[str], **options):
        organization = organization_by_slug(org)
        try:
            quotas = dict(parse_quota_text(text) for text in quota)
            panel = panel_create_population(
                organization=organization,
                actor=SYSTEM,
                n=n,
                seed=seed,
                source=source,
                quotas=quotas,
                name=name,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Panel #{panel.pk} “{panel.name}”: {n:,} personas."))
        src = load_source(source)
        matched = set(panel.settings["quotas"]) or set(src.balance_fields)
        # every category's goal, those a quota left out included (they share what remains: 0 at 100%)
        goals = {
            field: dict(zip(src.fields[field], shares.tolist(), strict=True))
            for field, shares in resolve_quotas(src, panel.settings["quotas"]).items()
        }
        worst = 0.0
        for chart in panel_trait_charts(panel=panel):
            if chart.source is None:
                continue
            self.stdout.write(f"\n{chart.trait:<20} {'panel':>7} {'target':>7} {'source':>7}")
            for category, _count, share, source_share, target in chart.rows():
                goal = goals.get(chart.trait, {}).get(category, source_share)
                if chart.trait in matched:
                    worst = max(worst, abs(share - goal))
                shown = f"{target:7.1%}" if target is not None else f"{'':>7}"
                self.stdout.write(f"  {category:<18} {share:7.1%} {shown} {source_share:7.1%}")
        self.stdout.write(f"\nLargest gap to a quota (or, without quotas, to the source): {worst:.1%}")
