"""Build a virtual board panel from pasted bios (a text file) or the default seven-person board."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from personas.management.commands._common import organization_by_slug
from personas.services.synthetic import panel_create_board
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a board panel; without --bios, the ready seven-person board."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization that owns the panel")
        parser.add_argument(
            "--bios", type=Path, help="UTF-8 text file: one bio block per member, blank-line separated"
        )
        parser.add_argument("--name", default="Virtual board")

    def handle(self, *args, org: str, bios: Path | None, name: str, **options):
        organization = organization_by_slug(org)
        try:
            text = bios.read_text(encoding="utf-8") if bios else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {bios}: {exc}") from None
        try:
            panel = panel_create_board(organization=organization, actor=SYSTEM, name=name, bios=text)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        members = panel.memberships.select_related("persona").order_by("-is_chair", "pk")
        self.stdout.write(
            self.style.SUCCESS(f"Board #{panel.pk} “{panel.name}” with {members.count()} members:")
        )
        for member in members:
            chair = " (chair)" if member.is_chair else ""
            self.stdout.write(
                f"  {member.persona.display_name} — {member.role}{chair}: {member.persona.card_tokens} tokens"
            )
