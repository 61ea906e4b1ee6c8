"""/api/v1/personas/<id>/summary/: a hosted model summarises a persona you own (POST), or the summary goes
(DELETE); viewers, other organizations, shared personas and non-hosted providers are refused."""

from __future__ import annotations

import pytest

from personas.models import PanelShare, Persona
from tests.personas.summaries import SUMMARY, hosted_config, install
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

PERSONAS = "/api/v1/personas/"


@pytest.fixture
def writer(monkeypatch):
    return install(monkeypatch)


@pytest.fixture
def person(org_a):
    return make_panel(org_a, size=2, name="API summaries").memberships.get(persona__handle="p0").persona


def summary_url(persona) -> str:
    return f"{PERSONAS}{persona.pk}/summary/"


def test_a_member_writes_and_removes_a_summary(member_api, viewer_api, org_a, person, writer):
    claude = hosted_config(org_a)
    listed = viewer_api.get(f"{PERSONAS}?search=p0").json()["results"][0]
    assert (listed["summary"], listed["summary_by"], listed["summary_at"]) == ("", "", None)

    response = member_api.post(summary_url(person), {"provider": claude.pk}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == person.pk and body["card"] == person.card
    assert body["summary"] == SUMMARY and body["summary_by"] == "Anthropic claude-haiku-4-5 (Team Claude)"
    assert body["summary_at"] and viewer_api.get(f"{PERSONAS}{person.pk}/").json()["summary"] == SUMMARY
    assert len(writer.requests) == 1

    cleared = member_api.delete(summary_url(person))
    assert cleared.status_code == 200, cleared.content
    assert [cleared.json()[key] for key in ("summary", "summary_by", "summary_at")] == ["", "", None]


def test_refusals_use_the_one_error_shape(member_api, viewer_api, org_a, org_b, person, writer):
    offline = hosted_config(org_a, name="Offline", kind="offline", is_default=False)
    theirs = hosted_config(org_b, name="B's Claude")

    not_hosted = member_api.post(summary_url(person), {"provider": offline.pk}, format="json")
    assert not_hosted.status_code == 400 and not_hosted.json()["error"]["code"] == "needs_hosted_model"
    foreign = member_api.post(summary_url(person), {"provider": theirs.pk}, format="json")
    assert foreign.status_code == 400 and "provider" in foreign.json()["error"]["fields"]
    assert member_api.post(summary_url(person), {}, format="json").status_code == 400
    viewer = viewer_api.post(summary_url(person), {"provider": offline.pk}, format="json")
    assert viewer.status_code == 403 and viewer_api.delete(summary_url(person)).status_code == 403

    from simnet.llm.base import QuotaExceeded

    claude = hosted_config(org_a, name="Claude", is_default=False)
    writer.raises = QuotaExceeded("credit balance too low")
    out_of_credit = member_api.post(summary_url(person), {"provider": claude.pk}, format="json")
    assert out_of_credit.status_code == 402 and out_of_credit.json()["error"]["code"] == "provider_quota"
    assert len(writer.requests) == 1
    assert Persona.objects.for_org(org_a).get(pk=person.pk).summary == ""


def test_another_organizations_persona_is_not_found_even_when_shared(token_client, org_a, org_b, writer):
    theirs = make_panel(org_b, size=2, name="B's panel")
    persona = theirs.memberships.get(persona__handle="p0").persona
    client = token_client("owner", organization=org_a)
    claude = hosted_config(org_a)
    for shared in (False, True):
        if shared:
            PanelShare.objects.create(organization=org_b, panel=theirs, shared_with=org_a)
            assert client.get(f"{PERSONAS}{persona.pk}/").status_code == 200  # readable, not editable
        assert client.post(summary_url(persona), {"provider": claude.pk}, format="json").status_code == 404
        assert client.delete(summary_url(persona)).status_code == 404
    assert writer.requests == []
    assert Persona.objects.for_org(org_b).get(pk=persona.pk).summary == ""
