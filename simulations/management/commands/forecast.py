"""Forecast a draft post of an imported account from its own history and print the numbers."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization
from simulations.insight import forecast

NUMBER_WIDTH = 9


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


class Command(BaseCommand):
    help = (
        "How would this draft do? Expected likes, reposts, replies and quotes with an 80% interval, learned "
        "from the imported account's own posts and their counts, next to the typical counts of the whole history and of "
        "its last 200 posts. Says 'not enough data' (exit 1) when the history cannot support a forecast."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organization that imported the account")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--account", type=int, help="id of the imported account")
        who.add_argument("--handle", help="handle of the imported account")
        parser.add_argument("--text", required=True, help="the draft post")
        parser.add_argument("--at", help="when it would be posted, ISO 8601 with a time zone (default: now)")
        parser.add_argument("--media", type=int, default=0, help="number of images or videos attached")
        parser.add_argument("--json", action="store_true", help="print the forecast as JSON")

    def handle(self, *args, **opts):
        organization = Organization.objects.filter(slug=opts["org"]).first()
        if organization is None:
            raise CommandError(f"no organization with slug {opts['org']!r}")
        at = None
        if opts["at"]:
            at = parse_datetime(opts["at"])
            if at is None or at.tzinfo is None:
                raise CommandError(f"--at {opts['at']!r} is not an ISO 8601 time with a time zone")
        try:
            account = forecast.account_find(
                organization=organization, account_id=opts["account"], handle=opts["handle"] or ""
            )
            result = forecast.forecast_post(
                organization=organization, account=account, text=opts["text"], at=at, media=opts["media"]
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        if opts["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self._print(result)

    def _print(self, result: dict) -> None:
        history, recent = result["references"]["history_mean"], result["references"]["recent_mean"]
        self.stdout.write(
            f"Forecast for @{result['account']['handle']} at {result['at']}: learned from "
            f"n={result['n_train']:,} of its {result['n_posts']:,} posts with counts ({result['account']['platform']})"
        )
        header = (
            "",
            "expected",
            "80% low",
            "80% high",
            f"typical, all {history['n']:,}",
            f"last {recent['n']:,}",
        )
        self.stdout.write("  ".join(h.rjust(NUMBER_WIDTH + 4) for h in header))
        for metric, values in result["metrics"].items():
            cells = (values["expected"], values["low"], values["high"], history[metric], recent[metric])
            self.stdout.write(
                "  ".join(
                    [metric.rjust(NUMBER_WIDTH + 4), *(_number(v).rjust(NUMBER_WIDTH + 4) for v in cells)]
                )
            )
        for note in result["notes"]:
            self.stdout.write(f"Note: {note}")
        self.stdout.write(f"Source: {result['source']}.")
