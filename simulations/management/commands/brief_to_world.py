"""Turn a brief (a PDF, DOCX, Markdown or text file) into an editable draft, and with --apply into a
panel and a scenario, through one of the organization's hosted models. The same services as the
pages and the API: the same limits, refusals and spend accounting."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from simnet.providers.models import ProviderConfig
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.briefs import services
from simulations.briefs.apply import brief_apply
from simulations.briefs.starters import STARTERS
from simulations.models import BriefDraft


class Command(BaseCommand):
    help = "Extract stakeholders, opening posts and a closing question from a brief; --apply makes the world."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("file", nargs="?", help="the brief: .pdf, .docx, .md or .txt")
        source.add_argument(
            "--template", choices=list(STARTERS), help="a hand-written draft instead (offline)"
        )
        parser.add_argument("--org", required=True, help="slug of the organization")
        parser.add_argument("--provider", type=int, help="id of the organization's hosted provider config")
        parser.add_argument("--title", default="")
        parser.add_argument("--apply", action="store_true", help="make the draft a panel and a scenario")
        parser.add_argument("--steps", type=int, default=8, help="the scenario's steps (with --apply)")

    def handle(self, *args, **opts):
        organization = Organization.objects.filter(slug=opts["org"]).first()
        if organization is None:
            raise CommandError(f"no organization {opts['org']!r}")
        try:
            brief = self._draft(organization, opts)
            if brief.status != BriefDraft.Status.COMPLETED:
                raise CommandError(f"no draft: {brief.status_reason}")
            if opts["apply"]:
                brief = brief_apply(brief=brief, organization=organization, actor=SYSTEM, steps=opts["steps"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(json.dumps(brief.draft, indent=2, ensure_ascii=False))
        world = f"; panel {brief.panel_id}, scenario {brief.scenario_id}" if brief.scenario_id else ""
        self.stderr.write(f"brief {brief.pk}: {brief.get_origin_display()}{world}")

    def _draft(self, organization, opts) -> BriefDraft:
        if opts["template"]:
            return services.brief_from_starter(
                organization=organization, actor=SYSTEM, starter=opts["template"]
            )
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        config = ProviderConfig.objects.for_org(organization).filter(pk=opts["provider"]).first()
        with path.open("rb") as stream:
            brief = services.brief_create(
                organization=organization, actor=SYSTEM, provider_config=config, title=opts["title"],
                upload=File(stream, name=path.name), enqueue=False,
            )  # fmt: skip
        return services.brief_extract(brief_id=brief.pk)
