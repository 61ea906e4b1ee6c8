"""Turn a survey respondent's answers into a persona's name, interests, voice and activity.

These are documented heuristics, not measurements: the survey says who a person is (age,
party, education, ...), not how they post. The rules below keep the behaviour *consistent*
with the answers (a strong partisan talks politics more, a younger person posts more and
more casually) and every rule used is written into ``explain`` so the UI can show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

FEMALE_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Amy",
    "Kathleen", "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine",
    "Christine", "Rachel", "Maria", "Olivia", "Heather", "Diane", "Julie", "Joyce", "Victoria", "Grace",
)  # fmt: skip
MALE_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew", "Paul", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
)  # fmt: skip

AGE_INTERESTS = {
    "18-29": ("music", "gaming", "streaming shows", "fitness", "memes", "sneakers"),
    "30-44": ("parenting", "cooking", "careers", "home improvement", "sports", "podcasts"),
    "45-64": ("sports", "personal finance", "travel", "cooking", "gardening", "local news"),
    "65+": ("grandchildren", "gardening", "church community", "local news", "retirement", "history"),
}
PARTY_ISSUES = {
    "Democrat": ("health care", "climate change", "education", "civil rights", "gun safety"),
    "Republican": ("taxes", "the economy", "immigration", "gun rights", "faith and family"),
    "Independent": ("the economy", "government spending", "local issues", "health care"),
    "Other": ("civil liberties", "government spending", "third parties"),
}
EDUCATION_INTERESTS = ("books", "science", "technology")
COMMUNITY_INTERESTS = {
    "rural or small town": ("outdoors", "hunting and fishing"),
    "big city": ("restaurants", "arts"),
}
# Political topics a persona brings up, by partisan strength (rule: stronger identity, more politics).
POLITICAL_TOPICS_BY_STRENGTH = {"strong": 2, "weak": 1, "leaner": 1, "none": 0, "other": 1}

ACTIONS_PER_DAY_BY_AGE = {"18-29": 8.0, "30-44": 6.0, "45-64": 4.0, "65+": 3.0}
STRONG_PARTISAN_ACTIVITY = 1.5  # strong partisans engage more (more reposts and quotes, too)
DAILY_NEWS_ACTIVITY = 1.2  # people who follow the news most days react more
BASE_ACTION_MIX = {"like": 0.55, "repost": 0.12, "reply": 0.15, "quote": 0.05, "post": 0.13}
FOLLOWS_PER_DAY_BY_AGE = {"18-29": 0.3, "30-44": 0.2, "45-64": 0.12, "65+": 0.08}
ACTIVE_HOURS_BY_AGE = {
    "18-29": (0, 1, 12, 13, 17, 18, 19, 20, 21, 22, 23),
    "30-44": (7, 8, 12, 13, 19, 20, 21, 22),
    "45-64": (6, 7, 8, 12, 18, 19, 20, 21),
    "65+": (7, 8, 9, 10, 11, 14, 15, 18, 19),
}
REGISTER_BY_AGE = {
    "18-29": "casual and quick, lowercase, slang and emoji",
    "30-44": "conversational, an emoji now and then",
    "45-64": "plain and direct, full sentences, rarely emoji",
    "65+": "polite and complete sentences, no emoji",
}
PARTY_ADJECTIVE = {"Democrat": "Democratic", "Republican": "Republican"}
HIGHER_EDUCATION = {"bachelor's degree", "advanced degree", "college degree"}
LOWER_EDUCATION = {"less than high school"}


@dataclass(frozen=True)
class Behaviour:
    actions_per_day: float
    daily: dict[str, float]  # actions of each kind a day
    follows_per_day: float
    active_hours: tuple[int, ...]
    explain: dict[str, str]


def person_name(rng: np.random.Generator, gender: str) -> tuple[str, str]:
    """(first, last) drawn from the built-in lists; any first name when gender is unknown."""
    pool = (
        FEMALE_NAMES if gender == "female" else MALE_NAMES if gender == "male" else FEMALE_NAMES + MALE_NAMES
    )
    return str(rng.choice(pool)), str(rng.choice(LAST_NAMES))


def handle_for(first: str, last: str, rng: np.random.Generator, taken: set[str]) -> str:
    """A unique lower-case handle such as ``maryj42``."""
    base = f"{first}{last[0]}".lower()
    handle = f"{base}{rng.integers(10, 100)}"
    suffix = 2
    while handle in taken:
        handle = f"{base}{rng.integers(10, 100)}_{suffix}"
        suffix += 1
    taken.add(handle)
    return handle


def _pick(rng: np.random.Generator, pool: tuple[str, ...], k: int) -> list[str]:
    return [str(x) for x in rng.choice(pool, size=min(k, len(pool)), replace=False)] if k > 0 else []


def interests_for(traits: Mapping[str, object], rng: np.random.Generator) -> tuple[str, ...]:
    """Two age-typical interests, 0-2 political issues of the party (by strength), and one more
    from education, community, news habit or religion when those answers point somewhere."""
    chosen = _pick(rng, AGE_INTERESTS[str(traits["age_group"])], 2)
    strength = str(traits.get("partisan_strength", "none"))
    n_political = POLITICAL_TOPICS_BY_STRENGTH.get(strength, 0)
    if traits.get("news_habit") == "most days":
        n_political += 1
    chosen += _pick(
        rng, PARTY_ISSUES.get(str(traits.get("party", "")), PARTY_ISSUES["Independent"]), n_political
    )
    extra: list[str] = []
    if traits.get("education") in HIGHER_EDUCATION:
        extra += EDUCATION_INTERESTS
    extra += COMMUNITY_INTERESTS.get(str(traits.get("community", "")), ())
    if traits.get("religion_importance") == "very important":
        extra.append("faith")
    if traits.get("news_habit") == "most days":
        extra.append("TV news")
    chosen += _pick(rng, tuple(x for x in extra if x not in chosen), 1)
    if strength == "strong":
        chosen.append("politics")
    return tuple(dict.fromkeys(chosen))


def voice_for(traits: Mapping[str, object]) -> str:
    """One short paragraph: register by age, wording by education, politics by party strength."""
    parts = [REGISTER_BY_AGE[str(traits["age_group"])]]
    education = traits.get("education")
    if education in HIGHER_EDUCATION:
        parts.append("precise wording")
    elif education in LOWER_EDUCATION:
        parts.append("short, simple sentences")
    party = str(traits.get("party", ""))
    strength = traits.get("partisan_strength")
    ideology = str(traits.get("ideology_detail", ""))
    if strength == "strong":
        sharp = " and bluntly" if ideology.startswith(("extremely", "very")) else ""
        parts.append(f"brings up politics often{sharp}, from a firm {PARTY_ADJECTIVE[party]} point of view")
    elif strength == "weak":
        parts.append(f"talks politics sometimes, usually siding with {party}s")
    elif strength == "leaner":
        lean = "Democrats" if "Democrat" in str(traits.get("party_id", "")) else "Republicans"
        parts.append(f"calls themselves independent but leans toward {lean}")
    elif strength == "other":
        parts.append("backs a third party and criticises both big parties")
    else:
        parts.append("avoids party politics and distrusts both sides")
    return "; ".join(parts) + "."


def behaviour_for(traits: Mapping[str, object]) -> Behaviour:
    """Activity and action mix from age, partisan strength and news habit (see the constants)."""
    age_group = str(traits["age_group"])
    actions = ACTIONS_PER_DAY_BY_AGE[age_group]
    notes = [f"{actions:g} actions a day for age {age_group}"]
    mix = dict(BASE_ACTION_MIX)
    if traits.get("partisan_strength") == "strong":
        actions *= STRONG_PARTISAN_ACTIVITY
        mix["like"] -= 0.10
        mix["repost"] += 0.05
        mix["quote"] += 0.05
        notes.append(f"x{STRONG_PARTISAN_ACTIVITY:g} and more reposts/quotes for a strong partisan")
    if traits.get("news_habit") == "most days":
        actions *= DAILY_NEWS_ACTIVITY
        notes.append(f"x{DAILY_NEWS_ACTIVITY:g} for following the news most days")
    daily = {kind: share * actions for kind, share in mix.items()}
    follows = FOLLOWS_PER_DAY_BY_AGE[age_group]
    explain = {
        "activity": "; ".join(notes),
        "action_mix": ", ".join(f"{share:.0%} {kind}" for kind, share in mix.items()),
        "follows": f"{follows:g} new follows a day for age {age_group}",
        "active_hours": f"typical online hours for age {age_group}",
    }
    return Behaviour(actions, daily, follows, ACTIVE_HOURS_BY_AGE[age_group], explain)


def describe_traits(traits: Mapping[str, object]) -> dict[str, object]:
    """The answers worth telling a model, under readable names (detail labels over groups)."""
    described: dict[str, object] = {"age": traits.get("age")}
    for label, keys in (
        ("gender", ("gender",)),
        ("race or ethnicity", ("race",)),
        ("education", ("education_detail", "education")),
        ("household income", ("income_detail", "income")),
        ("party", ("party_id",)),
        ("ideology", ("ideology_detail",)),
        ("lives in", ("state", "community")),
        ("religion is", ("religion_importance",)),
        ("presidential vote", ("vote_2016", "vote_1996")),
    ):
        value = next((traits[k] for k in keys if traits.get(k) not in (None, "")), None)
        if value is not None:
            described[label] = value
    if "tv_news_days" in traits:
        days = traits["tv_news_days"]
        described["watches TV news"] = f"{days} day{'' if days == 1 else 's'} a week"
    return described
