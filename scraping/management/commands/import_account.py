"""Import an account or a file into personas from the command line, synchronously, printing progress."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from personas.models import Panel
from scraping.connectors import is_network
from scraping.models import ImportJob
from scraping.runner import import_run
from scraping.services import import_start
from scraping.sources import CONNECTORS
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization


class Command(BaseCommand):
    help = "Run one import now (no worker needed): --file for x_archive/tabular, --handle for x_api/bluesky/mastodon."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization")
        parser.add_argument("--connector", required=True, choices=list(CONNECTORS))
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", type=Path, help="the X archive .zip, or a .csv / .jsonl file")
        source.add_argument("--handle", help="the account: @user, user.bsky.social, @user@server")
        parser.add_argument(
            "--token-env", metavar="VAR", help="environment variable holding the bearer/access token"
        )
        parser.add_argument(
            "--panel", type=int, help="id of a panel of the organization to add the personas to"
        )
        parser.add_argument("--panel-name", default="", help="name of the new panel (without --panel)")
        parser.add_argument("--base-url", help="API base URL of a self-hosted or test server (operator use)")
        parser.add_argument("--holdout-percent", type=int, default=20)
        parser.add_argument("--card-budget", type=int, default=500)

    def handle(self, *args, **opts):
        organization = Organization.objects.filter(slug=opts["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {opts['org']!r}.")
        connector = opts["connector"]
        if is_network(connector) != bool(opts["handle"]):
            raise CommandError(
                f"{connector} imports take {'--handle' if is_network(connector) else '--file'}."
            )
        panel = None
        if opts["panel"] is not None:
            panel = Panel.objects.for_org(organization).filter(pk=opts["panel"]).first()
            if panel is None:
                raise CommandError(f"The organization has no panel #{opts['panel']}.")
        credential = ""
        if opts["token_env"]:
            credential = os.environ.get(opts["token_env"], "")
            if not credential:
                raise CommandError(f"The environment variable {opts['token_env']} is empty or not set.")
        job = self._start(organization, connector, opts, credential, panel)
        self.stdout.write(f"Import #{job.pk} ({CONNECTORS[connector].label}: {job.subject})")
        status = import_run(job_id=job.pk, echo=self._echo, time_slice=None)
        job.refresh_from_db()
        if status == ImportJob.Status.COMPLETED:
            self.stdout.write(self.style.SUCCESS(job.status_message))
            for note in job.notes:
                self.stdout.write(f"  note: {note}")
            return
        if status == ImportJob.Status.WAITING_RATE_LIMIT:
            self.stdout.write(self.style.WARNING(f"{job.status_message} A running qcluster continues it."))
            return
        raise CommandError("The import failed:\n" + "\n".join(f"  {error}" for error in job.errors))

    def _start(self, organization, connector: str, opts: dict, credential: str, panel) -> ImportJob:
        arguments = {
            "organization": organization,
            "actor": SYSTEM,
            "connector": connector,
            "params": {
                "account": opts["handle"] or "",
                "holdout_percent": opts["holdout_percent"],
                "card_budget": opts["card_budget"],
            },
            "panel": panel,
            "panel_name": opts["panel_name"],
            "enqueue": False,
        }
        try:
            if opts["file"] is None:
                return import_start(**arguments, credential=credential, base_url=opts["base_url"])
            with open(opts["file"], "rb") as handle:
                return import_start(**arguments, upload=File(handle, name=opts["file"].name))
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc}") from None
        except ApplicationError as exc:
            details = [m for messages in exc.fields.values() for m in messages if m != exc.message]
            raise CommandError(" ".join([exc.message, *details])) from None

    def _echo(self, done: int, total: int | None, message: str) -> None:
        self.stdout.write(f"  {message}" + (f" ({done}/{total})" if total else ""))
