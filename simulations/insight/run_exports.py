"""A run's export files as the page and the API serve them.

``reports.run_export`` writes the tables as the analysis reads them; the actions file served
here also names who acted and on whom by handle, since agent keys mean nothing to a reader of
a spreadsheet.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from simulations.analysis.exports import HandledAction, export_records, with_handles
from simulations.insight import reports
from simulations.models import Run


def run_export(run: Run, *, what: str, fmt: str) -> tuple[str, bytes]:
    """(file name, contents) of one table of ``run``; see ``reports.run_export``."""
    if what != "actions" or fmt not in reports.EXPORT_FORMATS:
        return reports.run_export(run, what=what, fmt=fmt)
    records = reports.run_records(run)
    post_authors = {post.post_id: post.author_id for post in records.posts}
    rows = with_handles(records.actions, records.handles, post_authors)
    name = f"run-{run.pk}-{what}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        export_records(path, rows, HandledAction)
        return name, path.read_bytes()
