"""Run a trust & safety experiment from the command line and print its comparison: the same
services the builder and the API call (``experiment_start``, then ``insight.safety``).

    manage.py safety_experiment --org SLUG --panel ID [--variant LABEL=RANKING[+POLICY]] ...
                                [--replicates 3] [--steps 6] [--rules] [--stimulus TEXT] [--json]
    manage.py safety_experiment --org SLUG --experiment ID [--json]     (print an existing one)

RANKING is a recommender (chronological, popularity, bridging, downranking ...); POLICY one of
the presets (none, remove, label, downrank, friction, rate_limit). The default variants are
chronological, engagement (popularity), bridging and downranking. Runs are taken in this process
(no worker needed).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from personas.models import Panel
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.engine.recommenders import RECOMMENDERS
from simulations.insight import safety
from simulations.models import ACTIVE_STATUSES, Experiment, Policy, Run
from simulations.runs import stepper
from simulations.runs.lifecycle import experiment_mark_if_finished
from simulations.runs.moderation_settings import POLICY_PRESETS
from simulations.scenarios.experiments import experiment_start
from simulations.scenarios.safety_demo import HEATED_POST
from simulations.scenarios.services import scenario_create

DEFAULT_VARIANTS = (
    "chronological=chronological",
    "engagement=popularity",
    "bridging=bridging",
    "downranking=downranking",
)
MAX_TASKS = 2000


def parse_variant(spec: str) -> dict:
    """``LABEL=RANKING[+POLICY]`` -> an experiment variant with its overrides."""
    label, sep, rest = spec.partition("=")
    ranking, _, preset = rest.partition("+")
    if not sep or not label.strip() or ranking not in RECOMMENDERS:
        raise CommandError(
            f"--variant {spec!r}: use LABEL=RANKING[+POLICY], RANKING one of {sorted(RECOMMENDERS)}"
        )
    overrides: dict = {"recommender": ranking}
    if preset:
        if preset not in POLICY_PRESETS:
            raise CommandError(f"--variant {spec!r}: POLICY is one of {sorted(POLICY_PRESETS)}")
        overrides["moderation"] = POLICY_PRESETS[preset][1]
    return {"label": label.strip(), "stimulus_text": "", "overrides": overrides}


class Command(BaseCommand):
    help = (
        "Compare rankings and content policies on one panel: harm rates, prevalence, E-I, reach, engagement."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization")
        parser.add_argument("--panel", type=int, help="the panel's id (starts a new experiment)")
        parser.add_argument("--experiment", type=int, help="print the comparison of this experiment")
        parser.add_argument("--variant", action="append", help="LABEL=RANKING[+POLICY] (repeat; 2 to 6)")
        parser.add_argument("--replicates", type=int, default=3)
        parser.add_argument("--steps", type=int, default=6)
        parser.add_argument("--stimulus", default=HEATED_POST, help="the post the panel reacts to")
        parser.add_argument("--rules", action="store_true", help="the rule policy (no language model)")
        parser.add_argument("--json", action="store_true", help="print the comparison as JSON")

    def handle(self, *args, org: str, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization {org!r}.")
        if options["experiment"]:
            experiment = Experiment.objects.for_org(organization).filter(pk=options["experiment"]).first()
            if experiment is None:
                raise CommandError("No such experiment in this organization.")
        else:
            experiment = self._start(organization, options)
        result = safety.experiment_safety(experiment)
        if result is None:
            raise CommandError(f"Experiment #{experiment.pk} varies no ranking or content policy.")
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self._print(experiment, result)

    def _start(self, organization, options) -> Experiment:
        panel = Panel.objects.visible_to(organization).filter(pk=options["panel"]).first()
        if panel is None:
            raise CommandError("Give --panel, the id of a panel of the organization (or --experiment).")
        owner = organization.memberships.order_by("created_at").first()
        actor = owner.user if owner else None
        variants = [parse_variant(spec) for spec in options["variant"] or DEFAULT_VARIANTS]
        try:
            scenario = scenario_create(
                organization=organization, actor=actor, panel=panel, name="Safety experiment",
                steps=options["steps"], policy=Policy.RULES if options["rules"] else "",
                stimuli=[{"text": options["stimulus"], "author_handle": "angry_local", "boost": 0.5}],
            )  # fmt: skip
            experiment = experiment_start(
                organization=organization, actor=actor, scenario=scenario, name="Safety experiment",
                variants=variants, replicates=options["replicates"],
            )  # fmt: skip
        except ApplicationError as problem:
            raise CommandError(f"{problem.message} {problem.fields or ''}".strip()) from problem
        for run in Run.objects.for_org(organization).filter(experiment=experiment).order_by("pk"):
            for _ in range(MAX_TASKS):
                stepper.advance(run_id=run.pk)
                run.refresh_from_db()
                if run.status not in ACTIVE_STATUSES:
                    break
            self.stderr.write(f"run #{run.pk} ({run.variant}, seed {run.seed}): {run.status}")
        experiment_mark_if_finished(experiment.pk)
        experiment.refresh_from_db()
        return experiment

    def _print(self, experiment: Experiment, result: dict) -> None:
        self.stdout.write(
            f"Experiment #{experiment.pk} ({experiment.status}); labelled by {', '.join(result['labellers']) or '—'}; "
            f"baseline {result['baseline']}"
        )
        for v in result["variants"]:
            self.stdout.write(
                f"\n{v['label']}: ranking {v['recommender']}, policy {'; '.join(v['policy']) or 'none'}; "
                f"n={v['replicates']} replicates, {v['actions']} actions"
            )
            for name, key in (
                ("prevalence (harmful share of views)", "prevalence"),
                ("harmful share of written posts", "harmful_written_share"),
                ("E-I index", "ei"),
                ("reach of the worst posts", "worst_reach"),
                ("engagement", "engagement"),
                ("engagement lost vs baseline", "engagement_lost"),
            ):
                self.stdout.write(f"  {name:<38} {_interval(v[key])}")
            for rate in [*v["rates"], v["any_harm"]]:
                self.stdout.write(f"  {rate['harm_class']:<16} {rate['note']}")
            if v["moderation"]:
                self.stdout.write(
                    "  interventions: " + ", ".join(f"{k} {n}" for k, n in v["moderation"].items())
                )


def _interval(ci: dict | None) -> str:
    if not ci:
        return "not enough data"
    return f"{ci['estimate']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}] n={ci['n']}"
