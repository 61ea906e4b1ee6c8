"""Synthetic panels for tests, benchmarks and the CLI: varied, plausible, deterministic by seed.

The real personas come from imported accounts or population samples (``personas/``); these only
need to look like them to the engine: cards of ~250 tokens, spread-out traits and propensities,
interests that cluster, and a follow graph with homophily (people follow those who share topics).
"""

from __future__ import annotations

import random

from simulations.engine.persona import PanelSnapshot, Persona

TOPICS: dict[str, tuple[str, ...]] = {
    "climate": ("climate policy", "renewable energy", "heat waves", "carbon taxes"),
    "housing": ("rent", "housing prices", "zoning", "mortgages"),
    "football": ("football", "transfer news", "match tactics", "stadium trips"),
    "ai": ("artificial intelligence", "chatbots", "automation", "data privacy"),
    "cooking": ("home cooking", "recipes", "street food", "restaurants"),
    "parenting": ("parenting", "schools", "childcare costs", "family life"),
    "cycling": ("cycling", "bike lanes", "commuting", "road safety"),
    "startups": ("startups", "venture funding", "product launches", "hiring"),
    "gaming": ("video games", "esports", "game releases", "streaming"),
    "music": ("live music", "festivals", "new albums", "vinyl"),
    "health": ("healthcare", "hospital waiting times", "fitness", "mental health"),
    "finance": ("personal finance", "inflation", "interest rates", "saving"),
}
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Marco",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Yara",
    "Zoe",
]
LAST = [
    "Adler",
    "Baker",
    "Costa",
    "Diaz",
    "Eze",
    "Fischer",
    "Garcia",
    "Haas",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Park",
    "Rossi",
    "Silva",
    "Tan",
    "Weber",
]
JOBS = ("nurse", "teacher", "software developer", "shop owner", "student", "accountant", "electrician", "designer",
        "retired engineer", "journalist", "bus driver", "researcher", "chef", "lawyer", "farmer", "sales manager")  # fmt: skip
CITIES = (
    "Leeds",
    "Lyon",
    "Porto",
    "Munich",
    "Dublin",
    "Austin",
    "Toronto",
    "Melbourne",
    "Cardiff",
    "Glasgow",
)
TONES = ("dry and witty", "warm and chatty", "blunt", "earnest", "sarcastic", "calm and factual")
STANCE_WORDS = ("strongly against", "sceptical about", "undecided on", "supportive of", "enthusiastic about")
HOURS = {
    "morning and evening": frozenset({7, 8, 9, 18, 19, 20, 21, 22}),
    "office hours": frozenset(range(9, 18)),
    "late evenings": frozenset({20, 21, 22, 23, 0, 1}),
    "all day": frozenset(range(7, 24)),
}
VALUES = ("fairness", "family", "independence", "hard work", "community", "honesty", "curiosity", "security")
AVOIDS = (
    "shouting matches",
    "celebrity gossip",
    "crypto hype",
    "party politics",
    "brand accounts",
    "long threads",
)
EXAMPLE_OPENERS = (
    "Honestly,",
    "Hot take:",
    "Can we talk about",
    "Small win today:",
    "Not sure why",
    "Reminder that",
)


def demo_panel(size: int, seed: int = 0, *, mean_follows: int = 12) -> PanelSnapshot:
    """``size`` personas and a follow graph, identical for the same ``size`` and ``seed``."""
    if size < 1:
        raise ValueError("a panel needs at least one persona")
    rng = random.Random(seed)
    personas = tuple(_persona(i, rng) for i in range(size))
    return PanelSnapshot(personas, _follows(personas, rng, mean_follows))


def _persona(index: int, rng: random.Random) -> Persona:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    topics = rng.sample(sorted(TOPICS), rng.randint(2, 3))
    interests = [rng.choice(TOPICS[t]) for t in topics] + [rng.choice(TOPICS[topics[0]])]
    interests = list(dict.fromkeys(interests))
    hours_label = rng.choice(sorted(HOURS))
    tone = rng.choice(TONES)
    stances = {t: rng.choice(STANCE_WORDS) for t in topics}
    propensities = {
        "like": round(0.02 + rng.random() * 0.18, 3),
        "repost": round(0.005 + rng.random() * 0.045, 3),
        "quote": round(0.002 + rng.random() * 0.018, 3),
        "reply": round(0.005 + rng.random() * 0.055, 3),
        "follow": round(0.002 + rng.random() * 0.018, 3),
        "post": round(0.02 + rng.random() * 0.18, 3),
    }
    handle = f"{first}_{last}{index}".lower()
    age = rng.randint(19, 74)
    job, city = rng.choice(JOBS), rng.choice(CITIES)
    traits = {
        "age_group": "18-29" if age < 30 else "30-49" if age < 50 else "50+",
        "city": city,
        "job": job,
        "tone": tone,
        "interests": interests,
        "stances": stances,
    }
    card = _card(
        first, last, age, job, city, tone, topics, interests, stances, hours_label, propensities, rng
    )
    return Persona(
        id=f"a{index}",
        handle=handle,
        display_name=f"{first} {last}",
        card=card,
        traits=traits,
        propensities=propensities,
        activity_rate=round(0.08 + rng.random() ** 1.5 * 0.5, 3),
        active_hours=HOURS[hours_label],
        interests=", ".join(interests),
    )


def _card(
    first: str,
    last: str,
    age: int,
    job: str,
    city: str,
    tone: str,
    topics: list[str],
    interests: list[str],
    stances: dict[str, str],
    hours: str,
    propensities: dict[str, float],
    rng: random.Random,
) -> str:
    stance_lines = "; ".join(f"{word} {TOPICS[t][0]}" for t, word in stances.items())
    examples = [
        f'- "{rng.choice(EXAMPLE_OPENERS)} {rng.choice(TOPICS[t])} is all anyone in {city} talks about and I have '
        f'thoughts. {"Not convinced yet." if "against" in stances[t] or "sceptical" in stances[t] else "About time."}"'
        for t in topics
    ]
    lines = [
        f"Who: {first} {last}, {age}, a {job} in {city}.",
        (
            f"Bio: {job.capitalize()} by day; spends free time on {interests[0]} and {interests[-1]}. "
            f"Posts mostly about {', '.join(interests)}. Skims a lot, replies to people they know."
        ),
        f"Style: {tone}; short posts, plain words, rarely uses hashtags or emoji; lowercase when tired.",
        f"Stances: {stance_lines}.",
        f"Values: {' and '.join(rng.sample(VALUES, 2))}. Avoids: {rng.choice(AVOIDS)}; trusts friends more than ads.",
        f"Reads local news from {city}, a couple of newsletters, and whatever friends share.",
        (
            f"Habits: online {hours}; likes about {propensities['like']:.0%} of what they see, "
            f"replies to {propensities['reply']:.0%}, posts on {propensities['post']:.0%} of visits."
        ),
        "Examples of how you write:",
        *examples,
    ]
    return "\n".join(lines)


def _follows(
    personas: tuple[Persona, ...], rng: random.Random, mean_follows: int
) -> tuple[tuple[str, str], ...]:
    """Mostly within shared interests (homophily), partly at random, no self-follows."""
    if len(personas) < 2:
        return ()
    by_topic: dict[str, list[str]] = {}
    for persona in personas:
        for interest in persona.traits["interests"]:
            by_topic.setdefault(interest, []).append(persona.id)
    ids = [p.id for p in personas]
    edges: list[tuple[str, str]] = []
    for persona in personas:
        wanted = min(len(ids) - 1, max(1, int(rng.expovariate(1 / mean_follows))), 4 * mean_follows)
        chosen: dict[str, None] = {}
        for _ in range(3 * wanted):
            if len(chosen) >= wanted:
                break
            pool = by_topic[rng.choice(persona.traits["interests"])] if rng.random() < 0.7 else ids
            other = rng.choice(pool)
            if other != persona.id:
                chosen[other] = None
        edges += [(persona.id, other) for other in chosen]
    return tuple(edges)


BOARD = (
    ("Margaret Hale", "Chair", "thirty years in retail; keeps meetings moving; wants consensus but minutes that name dissent",
     "long-term reputation, governance", "surprises, unprepared proposals"),
    ("Daniel Osei", "CFO", "former auditor; speaks in numbers; protective of cash runway",
     "margins, cash flow, payback periods", "spending without a business case"),
    ("Priya Raman", "CTO", "built the platform from scratch; pragmatic about technical debt",
     "engineering capacity, security, data privacy", "deadlines set without engineering input"),
    ("Lucas Moreau", "Head of Sales", "energetic, customer-obsessed, quotes what clients said last week",
     "growth, new markets, partnerships", "delays that cost deals"),
    ("Helen Park", "General Counsel", "careful, precise, asks what could go wrong",
     "regulation, contracts, liability", "vague commitments, unvetted partners"),
    ("Tom Brennan", "Independent Director", "ex-CEO of a logistics firm; asks the awkward question",
     "strategy, execution risk, talent", "plans with no owner"),
    ("Sofia Lindqvist", "Investor Director", "represents the lead investor; focused on valuation milestones",
     "growth rate, capital efficiency, exit options", "slow decisions, unfocused bets"),
)  # fmt: skip
DEMO_AGENDA = (
    "Approve next year's budget, which cuts marketing by 12% to fund two engineering hires.",
    "Enter the German market through a reseller partnership announced next quarter.",
)


def demo_board(seed: int = 0) -> PanelSnapshot:
    """A seven-member board (chair first) whose members all follow each other."""
    rng = random.Random(seed)
    personas = []
    for index, (name, role, background, priorities, objections) in enumerate(BOARD):
        handle = name.split()[0].lower() + "_" + name.split()[1].lower()
        card = "\n".join(
            [
                f"Who: {name}, {role} of a 200-person software company.",
                f"Background: {background}.",
                f"Priorities: {priorities}.",
                f"Objections: {objections}.",
                f"Speaking style: {rng.choice(TONES)}; two or three sentences; names colleagues when answering them.",
            ]
        )
        personas.append(
            Persona(
                id=f"b{index}",
                handle=handle,
                display_name=name,
                card=card,
                traits={"role": role},
                propensities={"reply": 0.5, "post": 0.1},
                activity_rate=1.0,
                interests=priorities,
                role=role,
                is_chair=role == "Chair",
            )
        )
    follows = tuple((a.id, b.id) for a in personas for b in personas if a.id != b.id)
    return PanelSnapshot(tuple(personas), follows)
