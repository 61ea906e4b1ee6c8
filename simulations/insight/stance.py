"""Stance polls and the dynamics report, as the pages, the API and the command call them.

One service (``stance_poll``: read the stances a run has not been read at yet) and one selector
(``stance_summary``: the report); both take the organization explicitly, and a run of another
organization is never reached through them.
"""

from __future__ import annotations

from typing import Any

from simnet.llm.base import Provider, ProviderError
from simnet.tenancy.errors import ApplicationError
from simulations.insight.stance_report import stance_report
from simulations.models import Run, StanceReading
from simulations.runs.stance_readings import StancePollError, poll_run
from simulations.runs.worlds import NotRebuildable


def _own(organization, run: Run) -> None:
    if run.organization_id != organization.pk:
        raise ApplicationError("No such run.", code="not_found", status=404)


def stance_poll(*, organization, run: Run, provider: Provider | None = None) -> dict[str, int]:
    """Poll the run's personas at every checkpoint not read yet; counts of stored and failed answers."""
    _own(organization, run)
    if run.scenario.format == "deliberation":
        raise ApplicationError(
            "A deliberation polls its members itself (first and last step): nothing to poll afterwards.",
            code="deliberation_polls_itself",
        )
    try:
        return poll_run(run, provider=provider)
    except (StancePollError, NotRebuildable) as problem:
        raise ApplicationError(str(problem), code="stance_poll") from problem
    except ProviderError as problem:
        raise ApplicationError(
            f"The model could not answer the poll: {problem}", code="provider", status=502
        ) from problem


def stance_summary(*, organization, run: Run) -> dict[str, Any]:
    _own(organization, run)
    return stance_report(run)


def stance_readings(*, organization, run: Run):
    _own(organization, run)
    return StanceReading.objects.for_org(organization).filter(run=run)
