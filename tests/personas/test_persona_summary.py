"""The optional persona summary a hosted language model writes from the card: what is stored and paid,
how runs read it, who may write or remove it, how failures and budgets are refused, and the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from personas.models import PanelShare, Persona
from personas.summaries import persona_summarize, persona_summary_clear
from simnet.llm.base import ProviderError, QuotaExceeded
from simnet.providers.spend import monthly_spend
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import AuditEvent
from simulations.runs import persistence
from simulations.runs.services import run_start
from simulations.runs.worlds import run_personas
from tests.factories import RunFactory, ScenarioFactory
from tests.personas.conftest import ESCAPED_XSS, XSS
from tests.personas.summaries import CALL_COST, SUMMARY, hosted_config, install
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(monkeypatch):
    return install(monkeypatch)


@pytest.fixture
def panel(org_a):
    return make_panel(org_a, size=2, name="Cyclists")


@pytest.fixture
def person(panel):
    return panel.memberships.get(persona__handle="p0").persona


@pytest.fixture
def claude(org_a):
    return hosted_config(org_a)


def summarize(persona, config, *, actor, organization=None):
    return persona_summarize(
        organization=organization or persona.organization,
        actor=actor,
        persona=persona,
        config=config,
    )


def untouched(persona: Persona) -> bool:
    persona.refresh_from_db()
    stored = (persona.summary, persona.summary_by, persona.summary_at, persona.summary_cost_usd)
    return stored == ("", "", None, 0)


def snapshot_card(panel, handle: str = "p0") -> str:
    return next(p.card for p in persistence.panel_snapshot(panel).personas if p.handle == handle)


def test_a_summary_is_stored_paid_for_and_opens_the_card_of_later_runs(
    org_a, member, panel, person, claude, writer
):
    card = person.card
    before = run_start(
        organization=org_a, actor=member, scenario=ScenarioFactory(organization=org_a, panel=panel)
    )[0]

    persona = summarize(person, claude, actor=member)

    assert persona.summary == SUMMARY
    assert persona.summary_by == "Anthropic claude-haiku-4-5 (Team Claude)"
    assert timezone.now() - persona.summary_at < timedelta(minutes=1)
    assert persona.summary_cost_usd == CALL_COST
    assert persona.card == card  # the deterministic card is never changed
    [request] = writer.requests
    assert request.key == f"summary:{person.pk}" and request.schema is None
    assert request.max_tokens == 160 and request.temperature <= 0.3
    assert card in request.user and "third person" in request.system
    event = AuditEvent.objects.get(organization=org_a, action="persona.summarized")
    assert event.actor == member and event.detail == {"provider": claude.pk, "cost_usd": "0.0006"}

    after = run_start(
        organization=org_a, actor=member, scenario=ScenarioFactory(organization=org_a, panel=panel)
    )[0]
    cards = {p["handle"]: p["card"] for p in run_personas(after)}
    assert cards["p0"] == f"In short: {SUMMARY}\n{card}"
    assert cards["p1"] == panel.memberships.get(persona__handle="p1").persona.card  # no summary, no line
    assert {p["handle"]: p["card"] for p in run_personas(before)}["p0"] == card
    assert after.reproducibility["panel_hash"] != before.reproducibility["panel_hash"]


def test_the_summary_line_keeps_the_card_within_its_budget(org_a, member, panel, person, claude, writer):
    examples = "\n".join(
        f"- Example post number {i} about bike lanes and sourdough bread." for i in range(60)
    )
    Persona.objects.for_org(org_a).filter(pk=person.pk).update(
        card=f"You are Person 0.\nExamples of how you write:\n{examples}", card_tokens=500
    )
    person.refresh_from_db()
    summarize(person, claude, actor=member)

    from simnet.llm.tokens import count_tokens

    card = snapshot_card(panel)
    assert card.startswith(f"In short: {SUMMARY}\nYou are Person 0.\nExamples of how you write:\n- Example")
    assert count_tokens(card) <= 500 and count_tokens(person.card) > 500
    assert card.split("\n")[-1] in person.card.split("\n")  # whole example lines dropped, none cut


def test_the_offline_model_and_the_rule_baseline_cannot_write_one(org_a, member, person, writer):
    for kind in ("offline", "baseline"):
        config = hosted_config(org_a, name=kind.title(), kind=kind, is_default=False)
        with pytest.raises(ApplicationError) as refused:
            summarize(person, config, actor=member)
        assert refused.value.code == "needs_hosted_model" and refused.value.status == 400
        assert "needs a hosted language model" in refused.value.message
        assert "runs use the deterministic card" in refused.value.message
    with pytest.raises(ApplicationError, match="Choose the provider"):
        summarize(person, None, actor=member)
    assert writer.requests == [] and untouched(person)


@pytest.mark.parametrize(
    ("failure", "code", "status", "says"),
    [
        ("error", "provider_error", 502, "could not write the summary (overloaded_error: try later)"),
        (QuotaExceeded("credit balance too low"), "provider_quota", 402, "out of quota or credit"),
        (ProviderError("invalid x-api-key"), "provider_error", 502, "invalid x-api-key"),
        ("   ", "provider_error", 502, "answered with no text"),
    ],
)
def test_a_failing_provider_stores_nothing_and_says_why(
    member, person, claude, writer, failure, code, status, says
):
    if failure == "error":
        writer.error = "overloaded_error: try later"
    elif isinstance(failure, str):
        writer.text = failure
    else:
        writer.raises = failure
    with pytest.raises(ApplicationError) as refused:
        summarize(person, claude, actor=member)
    assert (refused.value.code, refused.value.status) == (code, status)
    assert says in refused.value.message and "Nothing was saved" in refused.value.message
    assert len(writer.requests) == 1 and untouched(person)


def test_a_failed_rewrite_keeps_the_summary_there_was(member, person, claude, writer):
    summarize(person, claude, actor=member)
    writer.raises = QuotaExceeded("no credit")
    with pytest.raises(ApplicationError):
        summarize(person, claude, actor=member)
    person.refresh_from_db()
    assert person.summary == SUMMARY and person.summary_cost_usd == CALL_COST


def test_a_summary_is_refused_when_it_could_exceed_the_months_budget(org_a, member, person, claude, writer):
    org_a.monthly_budget_usd = Decimal("5.00")
    org_a.save()
    RunFactory(scenario=ScenarioFactory(organization=org_a), cost_usd=Decimal("4.9995"))  # $0.0005 left

    with pytest.raises(ApplicationError) as refused:
        summarize(person, claude, actor=member)

    assert (refused.value.code, refused.value.status) == ("quota_exceeded", 402)
    assert "$0.00 is left of this month's budget" in refused.value.message
    assert writer.requests == [] and untouched(person)
    org_a.monthly_budget_usd = Decimal("6.00")
    org_a.save()
    assert summarize(person, claude, actor=member).summary == SUMMARY


def test_viewers_cannot_write_or_remove_a_summary(viewer, viewer_client, panel, person, claude, writer):
    with pytest.raises(PermissionDeniedError):
        summarize(person, claude, actor=viewer)
    for name in ("persona_summarize", "persona_summary_clear"):
        response = viewer_client.post(reverse(name, args=[panel.pk, person.pk]), {"provider": claude.pk})
        assert response.status_code == 403, name
    assert writer.requests == [] and untouched(person)


def test_another_organizations_persona_and_provider_are_not_found(
    org_a, org_b, member, outsider, outsider_client, panel, person, claude, writer
):
    theirs = hosted_config(org_b, name="B's Claude")
    with pytest.raises(ApplicationError) as refused:
        summarize(person, theirs, actor=outsider, organization=org_b)
    assert refused.value.status == 404
    with pytest.raises(ApplicationError) as refused:
        summarize(person, theirs, actor=member)  # A's persona, B's provider
    assert refused.value.status == 404
    for name in ("persona_summarize", "persona_summary_clear"):
        response = outsider_client.post(reverse(name, args=[panel.pk, person.pk]), {"provider": theirs.pk})
        assert response.status_code == 404, name
    assert writer.requests == [] and untouched(person)


def test_the_persona_of_a_panel_shared_with_another_organization_stays_read_only(
    org_a, org_b, outsider, outsider_client, panel, person, writer
):
    PanelShare.objects.create(organization=org_a, panel=panel, shared_with=org_b)
    theirs = hosted_config(org_b, name="B's Claude")
    page = outsider_client.get(reverse("persona_detail", args=[panel.pk, person.pk])).content.decode()
    assert "Persona card" in page and reverse("persona_summarize", args=[panel.pk, person.pk]) not in page

    response = outsider_client.post(
        reverse("persona_summarize", args=[panel.pk, person.pk]), {"provider": theirs.pk}
    )
    assert response.status_code == 404
    with pytest.raises(ApplicationError) as refused:
        summarize(person, theirs, actor=outsider, organization=org_b)
    assert refused.value.status == 404
    assert writer.requests == [] and untouched(person)


def test_removing_the_summary_gives_runs_the_card_alone_and_keeps_its_cost_counted(
    org_a, member, viewer, panel, person, claude, writer
):
    summarize(person, claude, actor=member)
    persona = persona_summary_clear(organization=org_a, actor=member, persona=person)

    assert (persona.summary, persona.summary_by) == ("", "")
    assert snapshot_card(panel) == person.card
    assert monthly_spend(org_a) == CALL_COST  # it was paid this month
    assert AuditEvent.objects.filter(organization=org_a, action="persona.summary_cleared").count() == 1
    with pytest.raises(PermissionDeniedError):
        persona_summary_clear(organization=org_a, actor=viewer, persona=person)


def test_monthly_spend_counts_this_months_summaries_and_a_new_month_starts_over(
    org_a, org_b, member, panel, person, claude, writer
):
    RunFactory(scenario=ScenarioFactory(organization=org_a), cost_usd=Decimal("1.25"))
    other = panel.memberships.get(persona__handle="p1").persona
    last_month = timezone.now().replace(day=1) - timedelta(days=3)
    Persona.objects.for_org(org_a).filter(pk=other.pk).update(
        summary="Old.", summary_at=last_month, summary_cost_usd=Decimal("0.5")
    )
    assert monthly_spend(org_a) == Decimal("1.25")

    summarize(person, claude, actor=member)
    assert monthly_spend(org_a) == Decimal("1.25") + CALL_COST
    summarize(person, claude, actor=member)  # written again: paid again
    assert monthly_spend(org_a) == Decimal("1.25") + 2 * CALL_COST

    summarize(other, claude, actor=member)
    other.refresh_from_db()
    assert other.summary_cost_usd == CALL_COST  # last month's $0.50 is not this month's spend
    assert monthly_spend(org_a) == Decimal("1.25") + 3 * CALL_COST
    assert monthly_spend(org_b) == 0


# --- the persona page ---------------------------------------------------------------------------------------


def test_the_page_shows_the_summary_escaped_with_who_wrote_it(
    member_client, viewer_client, panel, person, claude, writer
):
    url = reverse("persona_detail", args=[panel.pk, person.pk])
    page = member_client.get(url).content.decode()
    assert "No summary: runs read the deterministic card below." in page
    assert "Write a summary with Team Claude" in page and ">Remove</button>" not in page

    writer.text = f"Person 0 likes bikes. {XSS}"
    response = member_client.post(
        reverse("persona_summarize", args=[panel.pk, person.pk]), {"provider": claude.pk}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "Summary written by Anthropic claude-haiku-4-5 (Team Claude)" in page
    assert XSS not in page and f"Person 0 likes bikes. {ESCAPED_XSS}" in page
    assert (
        "written by a language model" in page
        and "Written by Anthropic claude-haiku-4-5 (Team Claude) on " in page
    )
    assert ">Remove</button>" in page

    seen = viewer_client.get(url).content.decode()
    assert ESCAPED_XSS in seen and "Write a summary with" not in seen and ">Remove</button>" not in seen

    response = member_client.post(reverse("persona_summary_clear", args=[panel.pk, person.pk]), follow=True)
    assert "Summary removed" in response.content.decode() and untouched(person) is False
    person.refresh_from_db()
    assert person.summary == ""


def test_the_page_offers_the_hosted_models_default_first_and_explains_refusals(
    org_a, member_client, panel, person, writer
):
    url = reverse("persona_detail", args=[panel.pk, person.pk])
    offline = hosted_config(org_a, name="Offline", kind="offline", is_default=True)
    page = member_client.get(url).content.decode()
    assert "A summary needs a hosted model" in page and "Write a summary" not in page

    hosted_config(org_a, name="Another Claude", is_default=False)
    hosted_config(org_a, name="Zed Claude", kind="openai_compat", is_default=True)
    page = member_client.get(url).content.decode()
    assert "A summary needs a hosted model" not in page
    options = page[page.index('id="summary-provider"') :]
    assert options.index("Zed Claude") < options.index("Another Claude") and "Offline (" not in options

    response = member_client.post(
        reverse("persona_summarize", args=[panel.pk, person.pk]), {"provider": offline.pk}, follow=True
    )
    said = response.content.decode()
    assert "is the Offline model" in said and "deterministic card" in said
    response = member_client.post(
        reverse("persona_summarize", args=[panel.pk, person.pk]), {"provider": "x"}, follow=True
    )
    assert "Choose the provider that writes the summary." in response.content.decode()
    assert member_client.get(reverse("persona_summarize", args=[panel.pk, person.pk])).status_code == 405
    assert writer.requests == [] and untouched(person)


def test_a_new_card_drops_the_summary_written_from_the_old_one(org_a, member, panel, person, claude, writer):
    from personas.services.panels import persona_update

    person = persona_update(panel=panel, persona=person, organization=org_a, actor=member)  # a built card
    summarize(person, claude, actor=member)
    person.refresh_from_db()
    same = persona_update(panel=panel, persona=person, organization=org_a, actor=member)
    assert same.summary == SUMMARY  # the card came out the same: the summary still describes it
    edited = persona_update(
        panel=panel, persona=person, organization=org_a, actor=member, bio="Now a triathlon coach."
    )
    edited.refresh_from_db()
    assert "triathlon" in edited.card and edited.summary == "" and edited.summary_by == ""
    assert edited.summary_cost_usd == CALL_COST  # what it cost stays counted this month
    assert snapshot_card(panel) == edited.card
