"""Stance polls and deliberations from the command line: the same services the pages and the API call.

    manage.py stance report --org SLUG --run ID [--json]
    manage.py stance poll --org SLUG --run ID
    manage.py stance deliberate --org SLUG --panel ID --question "..." [--briefing "..."] [--steps 5]
                                [--group-size 5] [--agree-side left] [--rules]

``deliberate`` creates a deliberation scenario, runs it to the end in this process (no worker)
and prints the dynamics report.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from personas.models import Panel
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.insight import stance
from simulations.models import ACTIVE_STATUSES, Policy, Run, Scenario
from simulations.runs import stepper
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create

MAX_TASKS = 1000


class Command(BaseCommand):
    help = "Stance over time: print a run's opinion dynamics, poll its personas, or run a deliberation."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["report", "poll", "deliberate"])
        parser.add_argument("--org", required=True, help="slug of the organization")
        parser.add_argument("--run", type=int, help="report / poll: the run's id")
        parser.add_argument("--json", action="store_true", help="report: the whole report as JSON")
        parser.add_argument("--panel", type=int, help="deliberate: the panel's id")
        parser.add_argument("--question", default="", help="deliberate: the question polled before and after")
        parser.add_argument("--briefing", default="", help="deliberate: what the moderator gives each group")
        parser.add_argument("--steps", type=int, default=5, help="deliberate: poll + rounds + re-poll")
        parser.add_argument("--group-size", type=int, default=5)
        parser.add_argument("--agree-side", choices=["left", "right"], default="left")
        parser.add_argument("--rules", action="store_true", help="deliberate: the rule policy (no model)")

    def handle(self, *args, action: str, org: str, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization {org!r}.")
        try:
            if action == "deliberate":
                run = self._deliberate(organization, options)
            else:
                run = self._run(organization, options["run"])
                if action == "poll":
                    counts = stance.stance_poll(organization=organization, run=run)
                    self.stdout.write(
                        f"Stored {counts['stored']} readings; {counts['failed']} answers unusable."
                    )
        except ApplicationError as problem:
            raise CommandError(problem.message) from problem
        report = stance.stance_summary(organization=organization, run=run)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        elif action != "poll":
            self._print(run, report)

    def _run(self, organization, run_id: int | None) -> Run:
        run = Run.objects.for_org(organization).filter(pk=run_id).first() if run_id else None
        if run is None:
            raise CommandError("Give --run, the id of one of the organization's runs.")
        return run

    def _deliberate(self, organization, options) -> Run:
        panel = Panel.objects.visible_to(organization).filter(pk=options["panel"]).first()
        if panel is None:
            raise CommandError("Give --panel, the id of a panel of the organization.")
        owner = organization.memberships.order_by("created_at").first()
        scenario = scenario_create(
            organization=organization, actor=owner.user if owner else None, panel=panel,
            name=f"Deliberation: {options['question'][:120]}", format=Scenario.Format.DELIBERATION,
            steps=options["steps"], policy=Policy.RULES if options["rules"] else "",
            deliberation={
                "question": options["question"], "briefing": options["briefing"],
                "group_size": options["group_size"], "agree_side": options["agree_side"],
            },
        )  # fmt: skip
        run = run_start(organization=organization, actor=owner.user if owner else None, scenario=scenario)[0]
        for _ in range(MAX_TASKS):
            stepper.advance(run_id=run.pk)
            run.refresh_from_db()
            if run.status not in ACTIVE_STATUSES:
                break
        self.stdout.write(f"Run #{run.pk}: {run.status}, {run.next_step} of {run.total_steps} steps.")
        return run

    def _print(self, run: Run, report: dict) -> None:
        if not report["available"]:
            self.stdout.write(f"Run #{run.pk}: no stance to show ({report['why']}).")
            return
        self.stdout.write(
            f"Run #{run.pk}: “{report['question']}” ({', '.join(report['sources'])}), n={report['n']}"
        )
        for shift in report["shifts"]:
            self.stdout.write(f"Shift by {shift['label'].lower()}:")
            for s in shift["rows"]:
                interval = (
                    f"[{s['low']:+.2f}, {s['high']:+.2f}]" if s["low"] is not None else "not enough data"
                )
                self.stdout.write(f"  {s['segment']:<24} n={s['n']:<4} {s['mean']:+.2f} {interval}")
        for row in report["over_time"]:
            bimodality = f"{row['bimodality']:.3f}" if row["bimodality"] is not None else "–"
            self.stdout.write(
                f"step {row['step']}: mean {row['mean']:+.2f} consensus {row['consensus']:.3f} "
                f"bimodality {bimodality} positions {row['effective_positions']:.2f}"
            )
        honesty = report["honesty"]
        spread = honesty.get("spread")
        if spread:
            flag = "VARIANCE COLLAPSE: " if spread["collapsed"] else ""
            self.stdout.write(
                f"{flag}simulated SD {spread['simulated_sd']:.2f} [{spread['low']:.2f}, {spread['high']:.2f}] "
                f"n={spread['n']} vs survey SD {spread['reference_sd']:.2f} n={spread['reference_n']}"
            )
        else:
            self.stdout.write(f"Spread not checked: {honesty.get('why', 'too few readings')}")
