"""A finished draft becomes a world: a custom panel of the stakeholders, and a feed scenario whose
stimuli are the opening posts and whose closing question is the run's stance poll, read at the
start and at the end of every run (``settings["stance_polls"]``, offline too), and kept with the
brief's id under ``settings["brief"]``.

All in one transaction: a draft that fails anywhere (a scenario rule, a persona rule) leaves no
panel, persona or scenario behind. Afterwards the question can be put to the whole panel
(``brief_ask``: an open panel question through the brief's provider).
"""

from __future__ import annotations

from django.db import transaction

from personas.models import Panel
from personas.services.panels import panel_create, persona_create
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role
from simnet.tenancy.errors import ApplicationError
from simulations.briefs.draft import Draft
from simulations.briefs.services import checked_draft, require_editable
from simulations.insight.panel_questions import panel_question_create
from simulations.models import BriefDraft, PanelQuestion, Scenario
from simulations.scenarios.services import scenario_create

SETTINGS_KEY = "brief"
DEFAULT_STEPS = 8


def _traits(person) -> dict:
    return {"stance": person.stance, "groups": list(person.groups)}


def _stimuli(draft: Draft, personas: dict) -> list[dict]:
    """The opening posts: by the stakeholder's persona when one wrote it, else by an outside account."""
    return [
        {"text": post.text, "step": post.step, "author_persona": personas.get(post.author),
         "author_handle": "" if post.author in personas else post.author}
        for post in draft.posts
    ]  # fmt: skip


def _origin_line(brief: BriefDraft) -> str:
    if brief.origin == BriefDraft.Origin.EXTRACTED:
        by = f"extracted by {brief.provider_label}" + (", then edited" if brief.edited else "")
    else:
        by = brief.get_origin_display().lower()
    return f"From the brief “{brief.title}” ({by})."


def brief_apply(
    *, brief: BriefDraft, organization, actor: Actor | None, steps: int = DEFAULT_STEPS
) -> BriefDraft:
    """Make the draft a panel and a scenario; the brief keeps links to both."""
    require_role(actor_role(organization, actor), roles.WRITE, "turn briefs into worlds")
    with transaction.atomic():
        brief = BriefDraft.objects.for_org(organization).select_for_update().get(pk=brief.pk)
        require_editable(brief, organization)
        draft = checked_draft(brief.draft)
        panel = panel_create(
            organization=organization, actor=actor, name=brief.title[:120], kind=Panel.Kind.CUSTOM,
            description=_origin_line(brief), settings={SETTINGS_KEY: brief.pk},
        )  # fmt: skip
        personas = {
            person.handle: persona_create(
                panel=panel, organization=organization, actor=actor, handle=person.handle,
                display_name=person.name, bio=person.bio, interests=person.interests, traits=_traits(person),
            )
            for person in draft.stakeholders
        }  # fmt: skip
        scenario = scenario_create(
            organization=organization, actor=actor, panel=panel, name=brief.title[:160], steps=steps,
            provider=brief.provider_config, stimuli=_stimuli(draft, personas),
            stance_polls={"question": draft.question, "every": steps},
        )  # fmt: skip
        scenario.settings = {
            **scenario.settings,
            SETTINGS_KEY: {"draft": brief.pk, "question": draft.question},
        }
        scenario.save(update_fields=["settings"])
        brief.panel, brief.scenario = panel, scenario
        brief.save(update_fields=["panel", "scenario"])
    return brief


def brief_question(scenario: Scenario) -> str:
    """The closing question a brief left on ``scenario`` ("" when it came from no brief)."""
    return str((scenario.settings or {}).get(SETTINGS_KEY, {}).get("question", ""))


def brief_ask(*, brief: BriefDraft, organization, actor: Actor | None) -> PanelQuestion:
    """Put the closing question to every persona of the world's panel, through the brief's provider."""
    if brief.organization_id != organization.pk:
        raise ApplicationError("That brief does not exist.", code="not_found", status=404)
    if brief.panel_id is None or brief.scenario_id is None:
        raise ApplicationError("Make the draft a world first.", code="not_applied", status=409)
    return panel_question_create(
        organization=organization, actor=actor, panel=brief.panel, kind=PanelQuestion.Kind.OPEN,
        question=brief_question(brief.scenario), provider_config=brief.provider_config,
    )  # fmt: skip
