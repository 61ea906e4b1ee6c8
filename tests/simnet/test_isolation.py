"""Another organization gets 404 on every URL that takes an object id, and sees no byte of it.

The URL list comes from Django's resolver, so a pattern added later without a case here
makes ``test_every_object_url_has_an_isolation_case`` fail. A case builds one object in
organization A (its text carries MARKER) and returns the URL kwargs; the outsider (owner of
organization B, signed in or with B's API token) must get 404 for GET and POST, and for PUT,
PATCH and DELETE on the API's detail routes, leaving A's rows as they were.

Positive control: A's owner (signed in, or with an owner token of A) asks the same URL right
after and gets neither 404 nor a server error, so the outsider's 404 comes from the
organization check and not from a URL or object that would answer 404 to anybody.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

MARKER = "ISOLATION-SECRET-7f3a"

# Patterns whose arguments are not an organization's object ids, with the reason.
EXEMPT = {
    "password_reset_confirm": "uidb64 + token of Django's password reset, not tenant data",
    "invitation_accept": "a one-time secret; wrong-user acceptance is tested in tests/simnet/tenancy",
    "signup_confirm": "uidb64 + token of the sign-up confirmation mail, not tenant data",
}


def _object_patterns(resolver=None, prefix: str = "") -> list[tuple[str, str]]:
    """(name, route) of every named pattern, at any depth, whose route takes arguments
    (``<int:pk>`` routes and the regex routes of DRF routers, ``(?P<pk>[^/.]+)``, alike)."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _object_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name and entry.pattern.regex.groupindex:
            found.append((entry.name, prefix + str(entry.pattern)))
    return found


# --- one builder per URL name: create the object in organization A, return the URL kwargs.
def _panel(t):
    from personas.models import Panel

    return Panel.objects.create(organization=t.org_a, name=MARKER, description=MARKER)


def _panel_persona(t):
    """A hand-made panel with one member: kwargs of the persona pages."""
    from personas.models import Panel, PanelMember, Persona

    panel = Panel.objects.create(organization=t.org_a, name=MARKER, kind=Panel.Kind.CUSTOM)
    persona = Persona.objects.create(organization=t.org_a, handle=MARKER, bio=MARKER, card=MARKER)
    PanelMember.objects.create(organization=t.org_a, panel=panel, persona=persona, role=MARKER)
    return {"panel_id": panel.pk, "persona_id": persona.pk}


def _import_job(t):
    """A failed import (so retry and cancel would both act on it) naming MARKER."""
    from scraping.models import ImportJob

    return ImportJob.objects.create(
        organization=t.org_a,
        connector="bluesky",
        status=ImportJob.Status.FAILED,
        status_message=MARKER,
        errors=[MARKER],
        params={"account": MARKER},
    )


def _run(t):
    from simulations.models import Run, Scenario

    scenario = Scenario.objects.create(organization=t.org_a, name=MARKER, panel=_panel(t))
    return Run.objects.create(
        organization=t.org_a, scenario=scenario, seed=1, total_steps=1, status_reason=MARKER
    )


def _narrative(t):
    from simulations.models import NarrativeReport

    run = _run(t)
    return NarrativeReport.objects.create(organization=t.org_a, run=run, text=MARKER, question=MARKER)


def _brief(t):
    from simulations.models import BriefDraft

    return BriefDraft.objects.create(
        organization=t.org_a, title=MARKER, source_kind="paste", text=MARKER, origin="example", status="completed"
    )


def _experiment(t):
    from simulations.models import Experiment, Scenario

    scenario = Scenario.objects.create(organization=t.org_a, name=MARKER, panel=_panel(t))
    return Experiment.objects.create(organization=t.org_a, name=MARKER, scenario=scenario)


def _membership(t):
    return t.member.memberships.get(organization=t.org_a)


def _invitation(t):
    from tests.factories import InvitationFactory

    return InvitationFactory(organization=t.org_a, email="isolation-secret-7f3a@a.example")


def _token(t):
    from tests.factories import ApiTokenFactory

    return ApiTokenFactory(organization=t.org_a, name=MARKER)


def _endpoint(t):
    from simnet.webhooks import services

    endpoint, _ = services.webhook_endpoint_create(
        organization=t.org_a, url="http://127.0.0.1:9/in", events=["run.failed"], description=MARKER
    )
    return endpoint


def _delivery(t):
    from simnet.webhooks import services

    endpoint = _endpoint(t)
    [delivery] = services.emit(organization=t.org_a, event="run.failed", payload={"note": MARKER})
    return endpoint, delivery


def _both(t):
    endpoint, delivery = _delivery(t)
    return {"endpoint_id": endpoint.pk, "delivery_id": delivery.pk}


def _provider(t):
    from simnet.providers.models import ProviderConfig

    return ProviderConfig.objects.create(organization=t.org_a, name=MARKER, kind="baseline", model=MARKER)


def _scenario(t):
    from simulations.models import Scenario

    return Scenario.objects.create(organization=t.org_a, name=MARKER, panel=_panel(t))


def _stimulus(t):
    """A stimulus with a stored image (so the owner's request has a file to get)."""
    from django.core.files.base import ContentFile

    from simulations.models import Stimulus

    stimulus = Stimulus(organization=t.org_a, scenario=_scenario(t), text=MARKER, author_handle=MARKER)
    stimulus.image.save("secret.png", ContentFile(MARKER.encode()), save=False)
    stimulus.save()
    return stimulus


def _keyframe(t):
    """A video keyframe of a stimulus, with a stored file."""
    from django.core.files.base import ContentFile

    from simulations.models import StimulusKeyframe

    keyframe = StimulusKeyframe(organization=t.org_a, stimulus=_stimulus(t))
    keyframe.image.save("frame.png", ContentFile(MARKER.encode()), save=False)
    keyframe.save()
    return keyframe


def _backtest(t):
    from tests.factories import BacktestFactory

    return BacktestFactory(organization=t.org_a, stimulus_text=MARKER, status_reason=MARKER)


def _panel_question(t):
    from simulations.models import PanelQuestion

    return PanelQuestion.objects.create(
        organization=t.org_a, panel=_panel(t), kind="open", question=MARKER, status_reason=MARKER
    )


def _population_job(t):
    from personas.models import PopulationJob

    return PopulationJob.objects.create(organization=t.org_a, params={"name": MARKER}, total=40, message=MARKER)


CASES: dict[str, Callable] = {
    "population_job": lambda t: {"job_id": _population_job(t).pk},
    "api_panel-population-job": lambda t: {"job_id": _population_job(t).pk},
    "panel_question_list": lambda t: {"panel_id": _panel(t).pk},
    "panel_question_create": lambda t: {"panel_id": _panel(t).pk},
    "panel_question_detail": lambda t: {"question_id": _panel_question(t).pk},
    "api_panel_question-detail": lambda t: {"pk": _panel_question(t).pk},
    "run_report": lambda t: {"run_id": _run(t).pk},
    "run_export": lambda t: {"run_id": _run(t).pk, "what": "actions", "fmt": "csv"},
    "experiment_compare": lambda t: {"experiment_id": _experiment(t).pk},
    "backtest_detail": lambda t: {"backtest_id": _backtest(t).pk},
    "api_run_report": lambda t: {"run_id": _run(t).pk},
    "api_run_stance": lambda t: {"run_id": _run(t).pk},
    "api_run_stance_readings": lambda t: {"run_id": _run(t).pk},
    "api_run_stance_poll": lambda t: {"run_id": _run(t).pk},
    "run_stance": lambda t: {"run_id": _run(t).pk},
    "run_stance_poll": lambda t: {"run_id": _run(t).pk},
    "run_narrative": lambda t: {"run_id": _narrative(t).run_id},
    "run_narrative_create": lambda t: {"run_id": _narrative(t).run_id},
    "api_run_safety": lambda t: {"run_id": _run(t).pk},
    "api_experiment_safety": lambda t: {"experiment_id": _experiment(t).pk},
    "brief_detail": lambda t: {"brief_id": _brief(t).pk},
    "brief_save": lambda t: {"brief_id": _brief(t).pk},
    "brief_ask": lambda t: {"brief_id": _brief(t).pk},
    "brief_run": lambda t: {"brief_id": _brief(t).pk},
    "api_brief-detail": lambda t: {"pk": _brief(t).pk},
    "api_brief-draft": lambda t: {"pk": _brief(t).pk},
    "api_brief-apply": lambda t: {"pk": _brief(t).pk},
    "api_run_narratives": lambda t: {"run_id": _narrative(t).run_id},
    "api_run_narrative": lambda t: {"run_id": (n := _narrative(t)).run_id, "narrative_id": n.pk},
    "api_run_export": lambda t: {"run_id": _run(t).pk, "what": "posts", "fmt": "jsonl"},
    "api_experiment_comparison": lambda t: {"experiment_id": _experiment(t).pk},
    "api_backtest-detail": lambda t: {"pk": _backtest(t).pk},
    "webhook_detail": lambda t: {"endpoint_id": _endpoint(t).pk},
    "webhook_delete": lambda t: {"endpoint_id": _endpoint(t).pk},
    "webhook_delivery": _both,
    "webhook_redeliver": _both,
    "api_webhook_endpoint-detail": lambda t: {"pk": _endpoint(t).pk},
    "api_webhook_delivery-detail": lambda t: {"pk": _delivery(t)[1].pk},
    "api_webhook_delivery-redeliver": lambda t: {"pk": _delivery(t)[1].pk},
    "api_run_events_stream": lambda t: {"run_id": _run(t).pk},
    "api_provider-detail": lambda t: {"pk": _provider(t).pk},
    "api_scenario-detail": lambda t: {"pk": _scenario(t).pk},
    "api_scenario-estimate": lambda t: {"pk": _scenario(t).pk},
    "api_experiment-detail": lambda t: {"pk": _experiment(t).pk},
    "api_run-detail": lambda t: {"pk": _run(t).pk},
    "api_run-pause": lambda t: {"pk": _run(t).pk},
    "api_run-resume": lambda t: {"pk": _run(t).pk},
    "api_run-cancel": lambda t: {"pk": _run(t).pk},
    "api_run-fork": lambda t: {"pk": _run(t).pk},
    "api_run-rerun": lambda t: {"pk": _run(t).pk},
    "api_run-inject": lambda t: {"pk": _run(t).pk},
    "api_run-interview": lambda t: {"pk": _run(t).pk},
    "api_run_action-list": lambda t: {"run_id": _run(t).pk},
    "api_run_post-list": lambda t: {"run_id": _run(t).pk},
    "api_run_event-list": lambda t: {"run_id": _run(t).pk},
    "api_member-detail": lambda t: {"pk": _membership(t).pk},
    "api_invitation-detail": lambda t: {"pk": _invitation(t).pk},
    "api_invitation-revoke": lambda t: {"pk": _invitation(t).pk},
    "api_panel-detail": lambda t: {"pk": _panel(t).pk},
    "api_panel-copy": lambda t: {"pk": _panel(t).pk},
    "api_panel-share": lambda t: {"pk": _panel(t).pk},
    "api_panel-unshare": lambda t: {"pk": _panel(t).pk},
    "api_persona-detail": lambda t: {"pk": _panel_persona(t)["persona_id"]},
    "api_persona-history": lambda t: {"pk": _panel_persona(t)["persona_id"]},
    "api_persona-summary": lambda t: {"pk": _panel_persona(t)["persona_id"]},
    "api_import-detail": lambda t: {"pk": _import_job(t).pk},
    "api_import-errors": lambda t: {"pk": _import_job(t).pk},
    "api_import-retry": lambda t: {"pk": _import_job(t).pk},
    "api_import-cancel": lambda t: {"pk": _import_job(t).pk},
    "panel_detail": lambda t: {"panel_id": _panel(t).pk},
    "panel_edit": lambda t: {"panel_id": _panel(t).pk},
    "panel_delete": lambda t: {"panel_id": _panel(t).pk},
    "panel_copy": lambda t: {"panel_id": _panel(t).pk},
    "panel_share": lambda t: {"panel_id": _panel(t).pk},
    "panel_unshare": lambda t: {"panel_id": _panel(t).pk},
    "persona_create": lambda t: {"panel_id": _panel_persona(t)["panel_id"]},
    "persona_detail": _panel_persona,
    "persona_edit": _panel_persona,
    "persona_remove": _panel_persona,
    "persona_summarize": _panel_persona,
    "persona_summary_clear": _panel_persona,
    "import_detail": lambda t: {"job_id": _import_job(t).pk},
    "import_retry": lambda t: {"job_id": _import_job(t).pk},
    "import_cancel": lambda t: {"job_id": _import_job(t).pk},
    "run_detail": lambda t: {"run_id": _run(t).pk},
    "run_pause": lambda t: {"run_id": _run(t).pk},
    "run_resume": lambda t: {"run_id": _run(t).pk},
    "run_cancel": lambda t: {"run_id": _run(t).pk},
    "run_rerun": lambda t: {"run_id": _run(t).pk},
    "run_fork": lambda t: {"run_id": _run(t).pk},
    "run_inject": lambda t: {"run_id": _run(t).pk},
    "run_interview": lambda t: {"run_id": _run(t).pk},
    "stimulus_image": lambda t: {"stimulus_id": _stimulus(t).pk},
    "stimulus_keyframe": lambda t: {"keyframe_id": _keyframe(t).pk},
    "api_stimulus-detail": lambda t: {"pk": _stimulus(t).pk},
    "api_stimulus-pictures": lambda t: {"pk": _stimulus(t).pk},
    "provider_delete": lambda t: {"provider_id": _provider(t).pk},
    "experiment_detail": lambda t: {"experiment_id": _experiment(t).pk},
    "member_role": lambda t: {"membership_id": _membership(t).pk},
    "member_remove": lambda t: {"membership_id": _membership(t).pk},
    "invitation_revoke": lambda t: {"invitation_id": _invitation(t).pk},
    "token_revoke": lambda t: {"token_id": _token(t).pk},
}


# The API's detail routes, also tried with the methods that write.
API_DETAIL_CASES = sorted(name for name in CASES if name.startswith("api_") and name.endswith("-detail"))
WRITE_METHODS = ("put", "patch", "delete")
WRITE_BODY = {"name": "HIJACKED", "description": "HIJACKED", "role": "viewer", "url": "http://127.0.0.1:9/x"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clients(tenancy, client_for, api_token_for, api_client_for):
    """``clients(url)`` -> (outsider, owner): B's owner and A's owner, signed in for pages, with a
    token of their own organization for the API."""

    def make(url: str):
        if url.startswith("/api/"):
            outsider_token = api_token_for(tenancy.org_b, role="admin", created_by=tenancy.outsider)
            owner_token = api_token_for(tenancy.org_a, role="owner", created_by=tenancy.owner)
            return api_client_for(outsider_token.raw_token), api_client_for(owner_token.raw_token)
        return client_for(tenancy.outsider), client_for(tenancy.owner, tenancy.org_a)

    return make


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _assert_owner_gets_through(response, method: str, url: str) -> None:
    """The positive control: not 404 (the object is there for its own organization), not 5xx.
    Only the status is read: the body of an event stream would wait for events forever."""
    assert response.status_code != 404 and response.status_code < 500, (
        f"owner {method.upper()} {url} -> {response.status_code}"
    )


def _organization_rows(organization) -> dict[str, list[dict]]:
    """Every row that belongs to ``organization``, table by table: what an outsider's write must
    leave exactly as it was."""
    from django.apps import apps

    from simnet.tenancy.models import Organization

    rows = {"organization": list(Organization.objects.filter(pk=organization.pk).values())}
    for model in apps.get_models():
        if any(field.name == "organization" for field in model._meta.concrete_fields):
            table = model._base_manager.filter(organization=organization).order_by("pk")
            rows[model._meta.label] = list(table.values())
    return rows


def test_every_object_url_has_an_isolation_case():
    missing = sorted(
        f"{name} ({route})" for name, route in _object_patterns() if name not in CASES and name not in EXEMPT
    )
    assert not missing, "URL patterns with object ids but no cross-organization case: " + ", ".join(missing)


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_organization_gets_404(name, tenancy, clients):
    url = reverse(name, kwargs=CASES[name](tenancy))
    outsider, owner = clients(url)
    for method in ("get", "post"):
        response = getattr(outsider, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        body = _body(response)
        assert MARKER.encode() not in body and b"isolation-secret-7f3a" not in body
    for method in ("get", "post"):
        _assert_owner_gets_through(getattr(owner, method)(url), method, url)


def test_the_api_detail_routes_are_all_tried_with_writes():
    assert len(API_DETAIL_CASES) >= 12 and "api_run-detail" in API_DETAIL_CASES


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("name", API_DETAIL_CASES)
def test_other_organization_cannot_write_through_the_api(name, method, tenancy, clients):
    """The outsider gets 404 and A's rows stay exactly as they were, whether or not the route
    offers the method; the owner gets 405 where it does not, and gets through where it does."""
    url = reverse(name, kwargs=CASES[name](tenancy))
    offered = method in resolve(url).func.actions
    outsider, owner = clients(url)
    before = _organization_rows(tenancy.org_a)

    response = getattr(outsider, method)(url, WRITE_BODY, format="json")

    assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
    assert MARKER.encode() not in response.content
    assert _organization_rows(tenancy.org_a) == before
    owner_response = getattr(owner, method)(url, WRITE_BODY, format="json")
    if not offered:
        assert owner_response.status_code == 405, (
            f"owner {method.upper()} {url} -> {owner_response.status_code}"
        )
        return
    _assert_owner_gets_through(owner_response, method, url)
    if method == "delete" and owner_response.status_code < 300:
        # the snapshot sees a delete when one happens (so "unchanged" above can fail); the owner's
        # request may add rows of its own (audit events, its token's last use), never remove any
        after = _organization_rows(tenancy.org_a)
        assert any(len(after[table]) < len(rows) for table, rows in before.items())


def test_a_stimulus_whose_image_file_is_gone_answers_404(tenancy, clients):
    stimulus = _stimulus(tenancy)
    stimulus.image.storage.delete(stimulus.image.name)
    url = reverse("stimulus_image", args=[stimulus.pk])
    _, owner = clients(url)

    assert owner.get(url).status_code == 404
