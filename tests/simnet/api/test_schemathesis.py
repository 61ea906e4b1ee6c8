"""Property-based tests of the whole /api/v1/ from its own OpenAPI schema (schemathesis).

Two organizations hold data (imported panels with real and held-out history, imports, a provider,
scenarios, a finished run with actions and posts, a completed experiment, a backtest, webhook
deliveries, people); organization B's objects all carry MARKER. Authenticated by an admin or a
member token of organization A, every operation of the served schema is called with generated
requests — ids in the path, the query and the body drawn from A's objects, B's objects and
anything the schema allows — and every response must: not be a server error, use a documented
status code, match the documented schema, and never contain MARKER (nothing of B is ever
returned, whatever is asked).

Each call runs in a savepoint that is rolled back, so every example starts from the same data
(a deleted panel does not starve the operations tested after it). Nothing is ever committed, so
no task reaches a worker; decisions (the finished run, interviews) come from the counting fake
provider. SIMNET_SCHEMATHESIS_EXAMPLES=50 explores deeper than the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.support.runs import drive

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # hundreds of generated requests

MARKER = "ORGB-MARKER-5e1d"
EXAMPLES_PER_OPERATION = int(os.environ.get("SIMNET_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Path prefix of an operation -> the kind of object the ids in its path name.
ID_KINDS = (
    ("/api/v1/panels/", "panel"),
    ("/api/v1/personas/", "persona"),
    ("/api/v1/imports/", "import"),
    ("/api/v1/providers/", "provider"),
    ("/api/v1/scenarios/", "scenario"),
    ("/api/v1/runs/", "run"),
    ("/api/v1/experiments/", "experiment"),
    ("/api/v1/backtests/", "backtest"),
    ("/api/v1/members/", "membership"),
    ("/api/v1/invitations/", "invitation"),
    ("/api/v1/webhooks/endpoints/", "endpoint"),
    ("/api/v1/webhooks/deliveries/", "delivery"),
    ("/api/v1/panel-questions/", "panel_question"),
    ("/api/v1/briefs/", "brief"),
    ("/api/v1/stimuli/", "stimulus"),
)
PATH_ID_NAMES = ("id", "run_id", "experiment_id")
# Query parameters and top-level body fields that name an object -> its kind.
QUERY_ID_KINDS = {
    "panel": "panel",
    "scenario": "scenario",
    "experiment": "experiment",
    "endpoint": "endpoint",
}
BODY_ID_KINDS = {
    "scenario": "scenario",
    "panel": "panel",
    "provider": "provider",
    "provider_config": "provider",
}
# Sizes the schema allows that would only make this run slow (thousands of sampled personas, hundreds
# of queued runs); their own tests cover them. Larger numbers, and lists, are cut down to these.
BODY_CAPS = {
    "/api/v1/panels/population/": {"n": 20},
    "/api/v1/runs/": {"replicates": 3, "seeds": 3},
    "/api/v1/experiments/": {"replicates": 3},
}


@dataclass
class OrganizationData:
    ids: dict[str, int] = field(default_factory=dict)


def _fake_decisions(monkeypatch) -> None:
    """Every provider kind answers with the counting fake (no model download, no network)."""
    from simnet.providers import build as providers
    from tests.support.fake_provider import counting_fake_provider

    monkeypatch.setattr(providers, "_raw_provider", lambda config: counting_fake_provider())


def _imported_panel(organization, label: str):
    """Imported accounts with real and held-out history (what backtests need); ``label`` goes into
    the panel's name, every bio and every history item. Returns the panel and one of its personas."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    from personas.models import HistoryItem, Persona
    from tests.support.backtest_panel import backtest_panel

    panel = backtest_panel(organization, name=f"Panel {label}")
    personas = Persona.objects.for_org(organization).filter(panel_memberships__panel=panel)
    personas.update(bio=f"Cyclist. {label}")
    HistoryItem.objects.for_org(organization).update(text=Concat("text", Value(f" {label}")))
    return panel, personas.exclude(source_account=None).order_by("pk").first()


def _populate(organization, person, label: str) -> OrganizationData:
    """Everything the API can show, in one organization; ``label`` goes into every text."""
    from simnet.providers.models import ProviderConfig
    from simnet.webhooks import services as webhooks
    from simulations.models import RunStatus
    from simulations.runs.services import run_start
    from simulations.scenarios.experiments import experiment_start
    from simulations.scenarios.services import scenario_create
    from tests.factories import BacktestFactory, ImportJobFactory, InvitationFactory

    panel, persona = _imported_panel(organization, label)
    provider = ProviderConfig.objects.create(
        organization=organization, name=f"Rules {label}", kind="baseline"
    )
    scenario = scenario_create(
        organization=organization, actor=person, panel=panel, name=f"Scenario {label}", steps=3, provider=provider,
        stimuli=[{"text": f"Ad {label}: the bike that changes lives", "author_handle": f"Brand{label[:8]}"}],
    )  # fmt: skip
    run = drive(run_start(organization=organization, actor=person, scenario=scenario)[0])
    assert run.status == RunStatus.COMPLETED
    experiment = experiment_start(
        organization=organization, actor=person, scenario=scenario, name=f"Experiment {label}", replicates=2,
        variants=[{"label": "A", "stimulus_text": f"Ad A {label}"}, {"label": "B", "stimulus_text": f"Ad B {label}"}],
    )  # fmt: skip
    for experiment_run in experiment.runs.all():
        drive(experiment_run)
    endpoint, _ = webhooks.webhook_endpoint_create(
        organization=organization, url="http://127.0.0.1:9/in", events=["run.failed"], description=label
    )
    [delivery] = webhooks.emit(organization=organization, event="run.failed", payload={"note": label})
    failed_import = ImportJobFactory(
        organization=organization, status="failed", status_message=f"Failed: {label}", errors=[f"No {label}"],
        params={"account": f"{label.lower()}.bsky.social", "holdout_percent": 20, "card_budget": 500},
    )  # fmt: skip
    data = OrganizationData()
    data.ids = {
        "panel": panel.pk,
        "persona": persona.pk,
        "import": failed_import.pk,
        "provider": provider.pk,
        "scenario": scenario.pk,
        "run": run.pk,
        "experiment": experiment.pk,
        "backtest": BacktestFactory(organization=organization, panel=panel, stimulus_text=label).pk,
        "membership": person.memberships.get(organization=organization).pk,
        "invitation": InvitationFactory(organization=organization, email=f"{label.lower()}@b.example").pk,
        "endpoint": endpoint.pk,
        "delivery": delivery.pk,
        "panel_question": _panel_question(organization, person, panel, label).pk,
        "brief": _brief(organization, label).pk,
        "stimulus": scenario.stimuli.get().pk,
    }
    return data


def _panel_question(organization, person, panel, label: str):
    """An open question the whole panel answered (through the fake provider), naming ``label``."""
    from simulations.insight.panel_questions import panel_question_create, panel_question_execute

    asked = panel_question_create(
        organization=organization, actor=person, panel=panel, kind="open", question=f"Why {label}?", enqueue=False
    )
    return panel_question_execute(question_id=asked.pk)


def _brief(organization, label: str):
    """A hand-written example brief naming ``label`` (extraction needs a hosted model)."""
    from simulations.models import BriefDraft

    return BriefDraft.objects.create(
        organization=organization, title=f"Brief {label}", source_kind="paste", text=f"Brief {label}",
        origin="example", status="completed",
    )  # fmt: skip


def _kind_of(path: str) -> str | None:
    return next((kind for prefix, kind in ID_KINDS if path.startswith(prefix)), None)


def _point_ids_at(case, owner: OrganizationData) -> None:
    """Replace the ids a generated request names in its query and body with ``owner``'s objects."""
    for name, kind in QUERY_ID_KINDS.items():
        if name in (case.query or {}):
            case.query[name] = owner.ids[kind]
    if not isinstance(case.body, dict):
        return
    for name, kind in BODY_ID_KINDS.items():
        if name in case.body:
            case.body[name] = owner.ids[kind]
    for stimulus in case.body.get("stimuli") or []:
        if isinstance(stimulus, dict) and "author_persona" in stimulus:
            stimulus["author_persona"] = owner.ids["persona"]


def _cap_sizes(case) -> None:
    caps = BODY_CAPS.get(case.operation.path, {})
    if not isinstance(case.body, dict):
        return
    for name, cap in caps.items():
        value = case.body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > cap:
            case.body[name] = cap
        elif isinstance(value, list):
            case.body[name] = value[:cap]


def never_shows_organization_b(ctx, response, case) -> None:
    """The custom check: no byte of organization B in any answer to organization A."""
    body = response.content or b""
    assert MARKER.encode() not in body and MARKER.lower().encode() not in body, (
        f"{case.method} {case.formatted_path} returned organization B's data"
    )


@pytest.fixture
def api_app(settings, monkeypatch, tenancy, tmp_path):
    """The Django WSGI app, called in-process inside the test's transaction."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"org_read": None, "org_write": None},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    _fake_decisions(monkeypatch)
    # As django.test.Client does: a request must not close the connection holding the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_keeps_its_schema_and_organization_b_out(api_app, tenancy, api_token_for):
    from tests.factories import MembershipFactory, UserFactory

    mine = _populate(tenancy.org_a, tenancy.member, "Alpha")
    marked_person = UserFactory(email=f"{MARKER.lower()}@b.example", first_name=MARKER)
    MembershipFactory(user=marked_person, organization=tenancy.org_b, role="admin")
    theirs = _populate(tenancy.org_b, tenancy.outsider, MARKER)
    credentials = [
        {"Authorization": f"Bearer {api_token_for(tenancy.org_a, role=role).raw_token}"}
        for role in ("admin", "member")
    ]

    schema = schemathesis.openapi.from_wsgi("/api/schema/", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60
    assert {_kind_of(operation.path) for operation in operations if "{" in operation.path} == {
        kind for _, kind in ID_KINDS
    }

    failures = {}
    for operation in operations:
        kind = _kind_of(operation.path)
        path_ids = st.none() if kind is None else st.sampled_from([None, mine.ids[kind], theirs.ids[kind]])

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(),
            path_id=path_ids,
            owner=st.sampled_from([mine, theirs, None]),
            headers=st.sampled_from(credentials),
        )
        def call(case, path_id, owner, headers):
            if path_id is not None:
                for name in case.path_parameters or {}:
                    if name in PATH_ID_NAMES:
                        case.path_parameters[name] = path_id
            if owner is not None:
                _point_ids_at(case, owner)
            _cap_sizes(case)
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            case.validate_response(response, checks=CHECKS, additional_checks=[never_shows_organization_b])

        try:
            call()
        except (AssertionError, FailureGroup) as failure:  # collected, reported together below
            failures[operation.label] = str(failure)
    assert not failures, "\n\n".join(f"=== {label}\n{text}" for label, text in failures.items())
