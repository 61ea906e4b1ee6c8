"""Run a simulation in this process and print its timeline (no worker, no web server needed)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personas.models import Panel
from simnet.llm.file_store import FileDecisionStore
from simnet.llm.registry import PROVIDER_KINDS, build_provider
from simnet.llm.vision import sees_images
from simnet.llm.wrappers import CachingProvider, MeteredProvider
from simnet.providers.build import offline_settings
from simnet.tenancy.models import Organization
from simulations.engine.config import RoundtableConfig, WorldConfig
from simulations.engine.demo import DEMO_AGENDA, demo_board, demo_panel
from simulations.engine.formats import create_world
from simulations.engine.media import form_seen
from simulations.engine.minutes import build_minutes, format_minutes, format_transcript
from simulations.engine.runner import run
from simulations.engine.stimuli import Stimulus
from simulations.engine.timeline import format_timeline
from simulations.management.pictures import add_picture_arguments, read_pictures
from simulations.runs import persistence

DEFAULT_STIMULUS = "This holiday, give the gift that changes everything. A year later, she'll thank you."


class Command(BaseCommand):
    help = (
        "Simulate a panel reacting to a post (feed) or a board meeting (roundtable) and print the timeline. "
        "Offline by default: the embedded offline model, no key needed. The same --seed reproduces a run "
        "exactly (answers are cached in --cache)."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--demo", type=int, default=50, metavar="N", help="synthetic demo panel of N personas")
        source.add_argument("--board", action="store_true", help="the seven-member demo board (a roundtable)")
        source.add_argument("--panel", type=int, help="id of a stored panel (needs --org)")
        parser.add_argument("--org", help="slug of the organization that owns --panel")
        parser.add_argument("--format", choices=["feed", "roundtable"], help="default: roundtable for --board")
        parser.add_argument("--steps", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--provider", choices=PROVIDER_KINDS, default="offline")
        parser.add_argument(
            "--model", default="", help="anthropic / openai_compat model, or the offline one (blank: default)"
        )
        parser.add_argument("--base-url", default="", help="server for openai_compat")
        parser.add_argument("--stimulus", default=DEFAULT_STIMULUS, help="the post the community reacts to")
        parser.add_argument("--author", default="FitBikeCo", help="outside account that posts the stimulus")
        parser.add_argument("--boost", type=float, default=0.5, help="share of feeds the stimulus is promoted into")
        add_picture_arguments(parser)
        parser.add_argument("--agenda", action="append", help="roundtable agenda item (repeat)")
        parser.add_argument("--cache", default=str(settings.BASE_DIR / "var" / "simulate-cache.json"))
        parser.add_argument("--no-cache", action="store_true", help="ask the provider afresh")
        parser.add_argument("--json", action="store_true", help="print the actions as JSON lines")

    def handle(self, *args, **opts):
        snapshot = self._panel(opts)
        fmt = opts["format"] or ("roundtable" if opts["board"] else "feed")
        pictures = read_pictures(opts)
        config = WorldConfig(
            seed=opts["seed"],
            vision=sees_images(opts["provider"], vision_flag=opts["vision"]),
            format=fmt,
            roundtable=RoundtableConfig(agenda=tuple(opts["agenda"] or DEMO_AGENDA), steps=opts["steps"]) if fmt == "roundtable" else RoundtableConfig(),
        )
        stimuli = [] if fmt == "roundtable" else [
            Stimulus(id="s1", text=opts["stimulus"], at_step=0, author_handle=opts["author"], boost=opts["boost"],
                     alt_text=opts["alt_text"], images=tuple(pictures))
        ]
        world = create_world(snapshot, config, stimuli)
        world.load_image = pictures.__getitem__
        if pictures and fmt != "roundtable":
            self.stderr.write(f"the agents see the stimulus's pictures as: {form_seen(world, 's1')}")
        provider = self._provider(opts)
        store = None if opts["no_cache"] else FileDecisionStore(opts["cache"])
        metered = MeteredProvider(CachingProvider(provider, store=store) if store else provider)
        self.stderr.write(f"{len(snapshot.personas)} personas, {opts['steps']} steps, provider {opts['provider']} …")

        def on_step(result):
            if store is not None:
                store.save()  # an interrupted run keeps the answers it paid for
            self.stderr.write(f"  step {result.step} done: {len(result.results)} decisions")

        report = run(world, metered, opts["steps"], on_step=on_step)
        if opts["json"]:
            for result in report.results:
                self.stdout.write(json.dumps(result.to_dict(), default=str))
        elif fmt == "roundtable":
            self.stdout.write(format_transcript(world))
            self.stdout.write("\n" + format_minutes(build_minutes(world)))
        else:
            self.stdout.write(format_timeline(world, report.results))
        usage = metered.total
        self.stderr.write(
            f"stopped: {report.stopped}; {len(report.results)} decisions; provider calls {usage.calls}; "
            f"tokens in {usage.input_tokens + usage.cached_input_tokens} out {usage.output_tokens}; ${usage.cost_usd:.4f}"
        )

    def _panel(self, opts):
        if opts["panel"] is not None:
            organization = Organization.objects.filter(slug=opts["org"]).first()
            if organization is None:
                raise CommandError("--panel needs --org <slug> of the organization that owns it")
            panel = Panel.objects.visible_to(organization).filter(pk=opts["panel"]).first()
            if panel is None:
                raise CommandError(f"no panel {opts['panel']} in {organization.slug}")
            return persistence.panel_snapshot(panel)
        if opts["board"]:
            return demo_board(opts["seed"])
        return demo_panel(opts["demo"], opts["seed"])

    def _provider(self, opts):
        if opts["provider"] in ("anthropic", "openai_compat") and not opts["model"]:
            raise CommandError(f"--provider {opts['provider']} needs --model")
        extra = offline_settings(opts["model"]) if opts["provider"] == "offline" else {}
        if opts["provider"] == "anthropic":
            extra = {"api_key": settings.ANTHROPIC_API_KEY, "model": opts["model"]}
        elif opts["provider"] == "openai_compat":
            extra = {"base_url": opts["base_url"] or settings.OPENAI_COMPAT_BASE_URL, "model": opts["model"],
                     "api_key": settings.OPENAI_COMPAT_API_KEY or None}
        return build_provider(opts["provider"], **extra)
