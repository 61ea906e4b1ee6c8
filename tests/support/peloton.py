"""A small, Peloton-shaped fixture (the Dec 2019 "holiday gift" ad) shared by the analysis tests.

The replies paraphrase the public reaction: accusations of sexism and body shaming, jokes
about a "hostage video", a few fans, and price complaints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulations.analysis.records import (
    ActionKind,
    ActionRecord,
    ImpressionRecord,
    PersonaRecord,
    PostKind,
    PostRecord,
)

AD_TEXT = (
    "The gift that gives back. A year ago I didn't realize how much this would change me. "
    "Give the Peloton Bike this holiday."
)
SELF_GIFT_TEXT = "She bought it for herself. A year of rides she chose. Give yourself the Peloton Bike."

ACCUSATIONS = (
    "This ad is so sexist. Her husband buys his already thin wife a bike? Body shaming at its finest.",
    "Sexist and body shaming. Who approved this ad?",
    "Nothing says I love you like body shaming your wife. Sexist garbage.",
    "The body shaming in this ad is unreal. She is already fit. Sexist.",
    "Peloton made a sexist ad about a husband controlling his wife's body.",
    "Body shaming ad. Sexist. Unfollowing Peloton.",
    "How is this not sexist? He gives his wife a bike so she loses weight. Body shaming.",
    "Tone-deaf and sexist. Body shaming women for Christmas.",
    "Sexist ad with a body shaming message for wives.",
    "A husband body shaming his wife with a gift. Sexist and gross.",
    "Sexist. Body shaming. Boycott Peloton.",
    "So the message is your wife needs to lose weight? Sexist body shaming ad.",
)
JOKES = (
    "lol she looks like a hostage 😂",
    "This is a hostage video lol",
    "Her face says blink twice if you need help 😂",
    "lmao the hostage video vibes in this ad",
    "Plot twist: she is filming a hostage video lol 😂",
    "Me watching this: blink twice if you need help lol",
    "Hostage video energy 😂😂",
    "Nobody: Peloton: a hostage video for Christmas lol",
    "lol blink twice if your husband bought you a bike",
    "The hostage video of the year lol 😂",
)
FANS = (
    "I love my Peloton bike, best gift ever.",
    "Honestly a great gift. Love my Peloton bike.",
    "Best gift I ever got was my Peloton bike. Love it.",
    "My Peloton bike changed my life, love it.",
    "Love my Peloton bike, best purchase ever.",
    "Great bike, best gift, love it.",
)
PRICE = (
    "Two thousand dollars for an exercise bike? Way too expensive.",
    "The price of that exercise bike is absurd, plus the monthly subscription.",
    "Too expensive. An exercise bike for two thousand dollars plus a subscription.",
    "Who pays two thousand dollars for an exercise bike with a monthly subscription?",
)
CORPUS = ACCUSATIONS + JOKES + FANS + PRICE

SELF_GIFT_REPLIES = (
    "Good for her! Love this ad.",
    "This is inspiring, she bought it for herself. Love it.",
    "Now that is a great ad. Want one.",
    "Love this version, so empowering.",
    "Beautiful ad, well done Peloton.",
    "Ordering one for myself this Christmas.",
    "Honestly inspiring. Good for her.",
    "Two thousand dollars for an exercise bike? Way too expensive.",
)


@dataclass(frozen=True)
class RunFixture:
    posts: tuple[PostRecord, ...]
    actions: tuple[ActionRecord, ...]
    personas: tuple[PersonaRecord, ...]
    impressions: tuple[ImpressionRecord, ...]


GENDERS = ("female", "male")
AGE_GROUPS = ("18-29", "30-44", "45-64", "65+")


def panel(size: int = 40) -> tuple[PersonaRecord, ...]:
    return tuple(
        PersonaRecord(
            f"p{i:02d}",
            handle=f"user{i:02d}",
            traits={"gender": GENDERS[i % 2], "age_group": AGE_GROUPS[i % 4], "user_id": f"u{i}"},
        )
        for i in range(size)
    )


def build_run(
    stimulus_text: str,
    replies: Sequence[str],
    quotes: Sequence[str],
    reposts: int,
    likes_on_stimulus: int,
    likes_on_first_response: int = 0,
    variant: str = "A",
) -> RunFixture:
    """A run: the stimulus at step 0, replies then quotes spread over steps 1..4, one persona each.

    The first ``likes_on_first_response`` personas after the writers like the first reply,
    the next ones repost and like the stimulus; everyone saw the stimulus once per step.
    """
    personas = panel()
    ids = [p.persona_id for p in personas]
    stimulus = PostRecord(
        "s", "brand", PostKind.POST, stimulus_text, 0, is_stimulus=True, stimulus_id=variant
    )
    posts = [stimulus]
    actions = []
    writers = [(PostKind.REPLY, t) for t in replies] + [(PostKind.QUOTE, t) for t in quotes]
    for n, (kind, text) in enumerate(writers):
        post_id, step = f"r{n}", 1 + n % 4
        posts.append(PostRecord(post_id, ids[n], kind, text, step, parent_id="s", root_id="s"))
        actions.append(ActionRecord(step, ids[n], ActionKind(kind.value), "s", post_id, text))
    others = iter(ids[len(writers) :])
    for _ in range(likes_on_first_response):
        actions.append(ActionRecord(2, next(others), ActionKind.LIKE, "r0"))
    for n in range(reposts):
        pid, post_id = next(others), f"rp{n}"
        posts.append(PostRecord(post_id, pid, PostKind.REPOST, "", 2, parent_id="s", root_id="s"))
        actions.append(ActionRecord(2, pid, ActionKind.REPOST, "s", post_id))
    for _ in range(likes_on_stimulus):
        actions.append(ActionRecord(1, next(others), ActionKind.LIKE, "s"))
    impressions = tuple(ImpressionRecord(step, 1, pid, "s") for step in range(5) for pid in ids)
    return RunFixture(tuple(posts), tuple(actions), personas, impressions)


def backlash_run() -> RunFixture:
    """The original ad: accusations and jokes, mostly as quotes, few reposts."""
    return build_run(
        AD_TEXT,
        replies=ACCUSATIONS[:6] + FANS[:2],
        quotes=ACCUSATIONS[6:] + JOKES[:4],
        reposts=2,
        likes_on_stimulus=3,
        likes_on_first_response=5,
    )


def praise_run() -> RunFixture:
    """The "she buys it for herself" variant: fans reply and repost."""
    return build_run(
        SELF_GIFT_TEXT, replies=SELF_GIFT_REPLIES, quotes=(), reposts=10, likes_on_stimulus=12, variant="B"
    )
