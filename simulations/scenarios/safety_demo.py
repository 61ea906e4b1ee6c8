"""The trust & safety example of the demo data: a heated local thread under a content policy.

A persona posts an insult-laden complaint about a council decision (the kind of post that draws a
pile-on); the scenario ranks by bridging and applies a policy that removes clear abuse and asks
"are you sure?" before hostile replies. Start it as an experiment against chronological and
engagement ranking to see the comparison (``manage.py safety_experiment`` does it in one go).
"""

from __future__ import annotations

from personas.models import Persona
from simulations.models import Scenario
from simulations.scenarios.services import scenario_create

SAFETY_SCENARIO = "Heated council thread: ranking and policy test (demo)"
HEATED_POST = (
    "The council voted to close the Elm Street library. Whoever pushed this is a pathetic clown, "
    "shut up about 'savings'. You people never cared about our kids."
)
CALM_POST = (
    "Library closing vote tonight at 7pm in the town hall. Bring your questions; there is a sign-up list."
)
DEMO_POLICY = {
    "rules": [
        {"action": "remove", "threshold": 0.75},
        {"action": "friction", "threshold": 0.5, "abandon_share": 0.3},
    ],
    "rate_limit": None,
}


def ensure_demo_safety(*, organization, user, panel) -> Scenario | None:
    """Create the T&S demo scenario on ``panel`` once (idempotent by name)."""
    if Scenario.objects.for_org(organization).filter(name=SAFETY_SCENARIO).exists():
        return None
    authors = list(
        Persona.objects.for_org(organization).filter(panel_memberships__panel=panel).order_by("pk")[:2]
    )
    stimuli = [
        {"text": HEATED_POST, "author_persona": authors[0] if authors else None, "author_handle": "angry_local",
         "step": 0, "boost": 0.5},
        {"text": CALM_POST, "author_persona": authors[1] if len(authors) > 1 else None, "author_handle": "townhall",
         "step": 1, "boost": 0.3},
    ]  # fmt: skip
    return scenario_create(
        organization=organization, actor=user, panel=panel, name=SAFETY_SCENARIO, steps=6,
        recommender="bridging", stimuli=stimuli, moderation=DEMO_POLICY,
    )  # fmt: skip
