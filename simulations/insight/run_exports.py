"""A run's export files as the page and the API serve them.

``reports.run_export`` writes the tables as the analysis reads them; the actions file served
here also names who acted and on whom by handle, since agent keys mean nothing to a reader of
a spreadsheet, and says why each persona did what it did (the reason its decision gave).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from simulations.analysis.exports import HandledAction, export_records, with_handles
from simulations.insight import reports
from simulations.models import Run, RunAction


@dataclass(frozen=True)
class ReasonedAction(HandledAction):
    """An exported action with the persona's own reason for it, last so earlier columns keep their place."""

    reason: str = ""


def action_reasons(run: Run) -> dict[tuple[int, str], str]:
    """(step, agent key) -> the reason of that decision; a run has one decision per agent and step."""
    rows = RunAction.objects.filter(organization_id=run.organization_id, run=run).exclude(reason="")
    return {(step, agent): reason for step, agent, reason in rows.values_list("step", "agent_key", "reason")}


def run_export(run: Run, *, what: str, fmt: str) -> tuple[str, bytes]:
    """(file name, contents) of one table of ``run``; see ``reports.run_export``."""
    if what != "actions" or fmt not in reports.EXPORT_FORMATS:
        return reports.run_export(run, what=what, fmt=fmt)
    records = reports.run_records(run)
    post_authors = {post.post_id: post.author_id for post in records.posts}
    reasons = action_reasons(run)
    rows = [
        ReasonedAction(**asdict(row), reason=reasons.get((row.step, row.persona_id), ""))
        for row in with_handles(records.actions, records.handles, post_authors)
    ]
    name = f"run-{run.pk}-{what}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        export_records(path, rows, ReasonedAction)
        return name, path.read_bytes()
