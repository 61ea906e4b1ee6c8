"""A draft as a model would return it, and hosted provider configurations on a loopback server."""

from __future__ import annotations

from simnet.providers.models import ProviderConfig

BRIEF = (
    "The council proposes to close Main Street to cars on weekends. Shop owners fear losing customers; "
    "the cycling club supports it. The council votes in May."
)
MODEL_DRAFT = {
    "summary": "Main Street may close to cars on weekends.",
    "stakeholders": [
        {"name": "City Council", "handle": "CityCouncil", "stance": "For the closure.",
         "interests": "public space", "groups": ["government"], "bio": "Votes in May."},
        {"name": "Shop owners", "handle": "Shops", "stance": "Against: fear losing customers.",
         "interests": "footfall", "groups": ["business", "Business"], "bio": ""},
        {"name": "Cycling club", "handle": "", "stance": "Supports it.",
         "interests": "cycling", "groups": "residents, cyclists", "bio": ""},
    ],
    "posts": [
        {"author": "@citycouncil", "text": "Main Street goes car-free on weekends. Your views?", "step": 0},
        {"author": "LocalPaper", "text": "Shops fear the worst as the council plans a car-free Main Street.",
         "step": 1},
    ],
    "question": "Should Main Street close to cars on weekends?",
}  # fmt: skip


def openai_config(organization, url: str) -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=organization,
        name="vllm",
        kind="openai_compat",
        model="gpt-4o-mini",
        base_url=f"{url}/v1",
    )


def anthropic_config(organization, url: str) -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=organization, name="claude", kind="anthropic", model="claude-haiku-4-5", base_url=url
    )
