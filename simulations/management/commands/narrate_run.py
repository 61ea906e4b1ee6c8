"""Write a run's narrative report in this process with a hosted model, and print it with the posts
it cites, the citations removed, the tools it called and what it cost (charged to the run)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simulations.insight import narratives
from simulations.models import NarrativeReport, Run


class Command(BaseCommand):
    help = (
        "A hosted model reads a finished run through tools (metrics, threads, quotes, interviews of its "
        "agents) and writes a narrative that cites the run's posts; unknown citations are removed and counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)
        parser.add_argument("--provider-config", type=int, help="id of a hosted provider configuration")
        parser.add_argument("--question", default="", help="what the narrative should answer")
        parser.add_argument(
            "--max-rounds", type=int, default=narratives.MAX_ROUNDS, help="rounds of tool calls"
        )

    def handle(self, *args, **opts):
        run = (
            Run.unscoped.select_related("organization", "scenario__provider")
            .filter(pk=opts["run_id"])
            .first()
        )
        if run is None:
            raise CommandError(f"no run {opts['run_id']}")
        config = None
        if opts["provider_config"] is not None:
            config = (
                ProviderConfig.objects.for_org(run.organization).filter(pk=opts["provider_config"]).first()
            )
            if config is None:
                raise CommandError(
                    f"no provider configuration {opts['provider_config']} in {run.organization.slug}"
                )
        try:
            narrative = narratives.narrative_create(
                organization=run.organization, actor=SYSTEM, run=run, provider_config=config,
                question=opts["question"], enqueue=False,
            )  # fmt: skip
        except ApplicationError as error:
            raise CommandError(error.message) from error
        narrative = narratives.narrative_execute(
            narrative_id=narrative.pk, max_rounds=max(1, opts["max_rounds"])
        )
        self._print(narrative)
        if narrative.status == NarrativeReport.Status.FAILED:
            raise CommandError(narrative.status_reason)

    def _print(self, narrative: NarrativeReport) -> None:
        out = self.stdout.write
        out(
            f"Narrative #{narrative.pk} of run {narrative.run_id} (MODEL-WRITTEN by {narrative.provider_label})"
        )
        if narrative.text:
            out("")
            out(narrative.text)
            out("")
        out(
            f"Cited posts: {len(narrative.citations)}"
            + ("" if narrative.citations else " (none: no evidence)")
        )
        for cited in narrative.citations:
            out(
                f"  [{cited['post_key']}] @{cited['handle']} {cited['kind']}, step {cited['step']}: {cited['text']}"
            )
        out(f"Citations removed (no such post): {len(narrative.dropped_citations)}")
        calls = ", ".join(f"{c['name']}(r{c['round']})" for c in narrative.tool_calls) or "none"
        out(f"Tools called: {calls}")
        out(
            f"Rounds: {narrative.rounds}, stop: {narrative.stop}, cost: ${narrative.cost_usd} (added to the run)"
        )
