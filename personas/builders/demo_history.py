"""Generated, seeded histories with a known cause behind every count: the demo's imported data.

Real words (the VADER human-rated tweets, ``public_texts``), generated behaviour. Two shapes:

- ``brand_account``: one account's posts over two years with like/repost/reply/quote counts.
  Engagement follows a negative binomial around a level that random-walks and jumps x10 at 60%
  of the time (the account "becomes famous"), moved by media, the hour, the weekday, the topic,
  links and the text's human-rated positivity. A forecast that reads time and content can beat
  the rolling mean; one that does not, cannot.
- ``thread_community``: hub accounts open threads in topic communities; members reply and like
  according to their topic affinity, their favourite hubs and their own base rate, in the tone
  they usually write in; some replies answer earlier replies. A reaction model that learns who
  cares about what can beat each member's own past rate; a base rate alone cannot.

Because the causes are known, the demo, the fidelity bench and the learners' tests can check that
a model recovers them. Everything is drawn from one seeded generator: same seed, same history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from personas.builders.public_texts import RatedText
from scraping.sources.records import AccountBundle, AccountRecord, HistoryKind, HistoryRecord

PLATFORM = "demo"
DEMO_SEED = 7  # what ``manage.py seed_demo`` imports and ``python -m bench --fidelity`` scores
DEMO_COMMUNITY_DAYS = 30
START = datetime(2023, 1, 2, tzinfo=UTC)
TOPICS = {
    "fitness": ("#fitness", "workout", "training"),
    "tech": ("#tech", "new app", "gadgets"),
    "food": ("#food", "recipe", "dinner"),
    "music": ("#music", "new album", "concert"),
    "travel": ("#travel", "trip", "flight"),
    "sports": ("#sports", "the game", "playoffs"),
    "money": ("#money", "budget", "prices"),
    "movies": ("#movies", "the trailer", "cinema"),
}
FAME_JUMP = math.log(10)
DISPERSION = 3.0  # negative binomial shape: counts vary more than Poisson, as real counts do
SHARES = {"repost_count": 0.15, "reply_count": 0.06, "quote_count": 0.02}  # of the like rate


def _counts(rng: np.random.Generator, mean: float) -> int:
    return int(rng.negative_binomial(DISPERSION, DISPERSION / (DISPERSION + max(mean, 1e-6))))


def _hour(rng: np.random.Generator) -> int:
    """Posting hours lean to the day and the evening, as people's do."""
    weights = np.array([0.3 if h < 7 else 1.0 if h < 17 else 1.4 for h in range(24)])
    return int(rng.choice(24, p=weights / weights.sum()))


def brand_account(
    texts: Sequence[RatedText], *, seed: int = 7, posts: int = 3000, days: int = 730, handle: str = "demo_brand"
) -> AccountBundle:
    """One account's posts with engagement counts whose causes are known (see the module docstring)."""
    rng = np.random.default_rng(seed)
    topic_effect = dict(zip(TOPICS, rng.normal(0, 0.5, len(TOPICS)), strict=True))
    moments = sorted(
        START + timedelta(days=int(day), hours=_hour(rng), minutes=int(rng.integers(60)))
        for day in rng.uniform(0, days, posts)
    )
    level = math.log(20) + np.cumsum(rng.normal(0, 0.02, posts))
    level[int(0.6 * posts) :] += FAME_JUMP
    history = []
    for i, moment in enumerate(moments):
        text, topic, rating = _brand_text(rng, texts)
        media = int(rng.random() < 0.3)
        link = "https://" in text
        log_mean = (
            level[i]
            + 0.4 * media
            + 0.3 * math.cos(2 * math.pi * (moment.hour - 19) / 24)
            - 0.15 * (moment.weekday() >= 5)
            + topic_effect[topic]
            - 0.3 * link
            + 0.3 * rating
        )
        likes = math.exp(log_mean)
        history.append(
            HistoryRecord(
                platform_id=f"{handle}-{i}",
                kind=HistoryKind.POST,
                text=text,
                created_at=moment,
                language="en",
                like_count=_counts(rng, likes),
                media=(f"demo://{handle}/{i}.jpg",) if media else (),
                **{name: _counts(rng, likes * share) for name, share in SHARES.items()},
            )
        )
    account = AccountRecord(PLATFORM, handle, handle, display_name="Demo Brand", bio="Generated demo account.")
    return AccountBundle(account, history)


def _brand_text(rng: np.random.Generator, texts: Sequence[RatedText]) -> tuple[str, str, float]:
    """A post's text, its topic, and its tone (the human rating scaled to -1..1)."""
    topic = str(rng.choice(list(TOPICS)))
    tag, phrase, _ = TOPICS[topic]
    body = texts[int(rng.integers(len(texts)))]
    link = " https://example.com/p" if rng.random() < 0.2 else ""
    return f"{tag} {phrase}: {body.text}{link}", topic, body.rating / 4


def thread_community(
    texts: Sequence[RatedText], *, seed: int = 7, personas: int = 150, threads: int = 60, hubs: int = 6,
    days: int = 120,
) -> list[AccountBundle]:  # fmt: skip
    """Hubs' threads and members' replies and likes, with known causes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)
    by_tone = sorted(texts, key=lambda t: t.rating)
    hub_names = [f"hub_{topic}" for topic in topics[:hubs]]
    members = [_member(rng, i, topics, hub_names) for i in range(personas)]
    bundles = {name: AccountBundle(AccountRecord(PLATFORM, name, name, display_name=name)) for name in hub_names}
    for member in members:
        bundles[member["handle"]] = AccountBundle(
            AccountRecord(PLATFORM, member["handle"], member["handle"], bio=f"Into {member['top']}."),
            history=_own_posts(rng, member, texts),
        )
    for t, day in enumerate(np.sort(rng.uniform(0, days, threads))):
        hub = hub_names[t % hubs]
        topic = topics[t % hubs] if rng.random() < 0.7 else str(rng.choice(topics))
        tag, phrase, word = TOPICS[topic]
        at = START + timedelta(days=float(day))
        root = HistoryRecord(
            platform_id=f"t3_{t}", kind=HistoryKind.POST, created_at=at, language="en", community=topic,
            text=f"{tag} {phrase}, {word}: {texts[int(rng.integers(len(texts)))].text}",
        )  # fmt: skip
        thread = [(root.platform_id, hub, root.text)]
        likes = 0
        for member in members:
            action = _reaction(rng, member, topic, hub, topics)
            if action == "ignore":
                continue
            when = at + timedelta(minutes=float(rng.exponential(90)))
            if action == "like":
                likes += 1
                like = _target(HistoryKind.LIKE, f"like_{t}_{member['handle']}", "", when, thread[0], topic)
                bundles[member["handle"]].history.append(like)
                continue
            parent = thread[int(rng.integers(len(thread)))] if rng.random() < 0.3 else thread[0]
            text = _in_tone(rng, by_tone, member["tone"])
            reply = _target(HistoryKind.REPLY, f"t1_{t}_{member['handle']}", text, when, parent, topic)
            bundles[member["handle"]].history.append(reply)
            thread.append((reply.platform_id, member["handle"], text))
        score = likes + _counts(rng, 5)
        bundles[hub].history.append(
            HistoryRecord(**{**root.__dict__, "like_count": score, "reply_count": len(thread) - 1, "score": score})
        )
    return list(bundles.values())


def _member(rng: np.random.Generator, i: int, topics: list[str], hubs: list[str]) -> dict:
    affinity = rng.dirichlet(np.full(len(topics), 0.3))
    return {
        "handle": f"member_{i:03d}",
        "affinity": dict(zip(topics, affinity, strict=True)),
        "top": topics[int(np.argmax(affinity))],
        "favourites": set(rng.choice(hubs, 2, replace=False)),
        "base": rng.normal(-3.2, 0.8),
        "tone": float(np.clip(rng.normal(0.2, 0.5), -1, 1)),
    }


def _reaction(rng: np.random.Generator, member: dict, topic: str, hub: str, topics: list[str]) -> str:
    """ignore, like or reply: base rate, plus topic affinity, plus a favourite hub."""
    topical = 4.0 * (member["affinity"][topic] - 1 / len(topics))
    interest = member["base"] + topical + 1.0 * (hub in member["favourites"])
    p_reply = 1 / (1 + math.exp(-interest))
    p_like = 1 / (1 + math.exp(-(interest + 1.0)))
    draw = rng.random()
    return "reply" if draw < p_reply else "like" if draw < p_reply + p_like * (1 - p_reply) else "ignore"


def _in_tone(rng: np.random.Generator, by_tone: Sequence[RatedText], tone: float) -> str:
    """A real tweet near the member's usual tone (tone -1..1 maps onto the ratings' order)."""
    centre = (tone + 1) / 2 * (len(by_tone) - 1)
    index = int(np.clip(rng.normal(centre, len(by_tone) * 0.08), 0, len(by_tone) - 1))
    return by_tone[index].text


def _target(kind, platform_id, text, when, parent, community) -> HistoryRecord:
    target_id, target_author, target_text = parent
    return HistoryRecord(
        platform_id=platform_id, kind=kind, text=text, created_at=when, language="en", community=community,
        target_id=target_id, target_author=target_author, target_text=target_text,
    )  # fmt: skip


def _own_posts(rng: np.random.Generator, member: dict, texts: Sequence[RatedText]) -> list[HistoryRecord]:
    """A few posts of the member's own, about the topics it cares for, in the two months before the
    threads: what a card is built from (nobody in the panel reacts to them)."""
    topics = list(member["affinity"])
    weights = np.array(list(member["affinity"].values()))
    posts = []
    for j in range(int(rng.integers(3, 9))):
        topic = str(rng.choice(topics, p=weights / weights.sum()))
        tag, phrase, _ = TOPICS[topic]
        posts.append(
            HistoryRecord(
                platform_id=f"{member['handle']}-own-{j}", kind=HistoryKind.POST, language="en", community=topic,
                text=f"{phrase} {tag} {texts[int(rng.integers(len(texts)))].text}",
                created_at=START - timedelta(days=float(rng.uniform(1, 60))),
            )
        )  # fmt: skip
    return posts
