"""A small, real-shaped panel of imported accounts with held-out history, for backtests.

Twelve accounts as an X import would leave them (ids, handles, bios, a training history that
built their cards and propensities, and held-out items kept back). The held-out period holds
what really happened around a Peloton-style holiday ad (December 2019): critics replied and
quoted it with accusations and jokes, fans liked and reposted it, three accounts scrolled
past; a news post about the share price drew reactions from four of them; one account
congratulated a friend (a post only it reacted to, which a backtest must leave out). Ids and
handles are made up; the texts paraphrase the public reaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from personas.models import FollowEdge, HistoryItem, Panel, PanelMember, Persona, SourceAccount
from tests.support.peloton import AD_TEXT

AD_ID = "1202591838447595520"
AD_AUTHOR = "onepelotonfan_brand"
NEWS_ID = "1203000111222333444"
NEWS_TEXT = "Peloton shares fall 9% in two days as its holiday ad draws criticism online."
NEWS_AUTHOR = "marketwire"
TRAINING_START = datetime(2019, 9, 1, 12, tzinfo=UTC)
HELD_OUT_START = datetime(2019, 12, 3, 15, tzinfo=UTC)

CRITIC = {"like": 0.08, "reply": 0.12, "quote": 0.08, "repost": 0.02, "follow": 0.01, "post": 0.15}
JOKER = {"like": 0.1, "reply": 0.08, "quote": 0.1, "repost": 0.03, "follow": 0.01, "post": 0.12}
FAN = {"like": 0.3, "reply": 0.05, "quote": 0.01, "repost": 0.08, "follow": 0.02, "post": 0.08}
LURKER = {"like": 0.03, "reply": 0.01, "quote": 0.0, "repost": 0.01, "follow": 0.0, "post": 0.02}


@dataclass(frozen=True)
class Account:
    handle: str
    bio: str
    gender: str
    age_group: str
    propensities: dict
    training: tuple[tuple[str, str], ...]  # (kind, text) the persona was built from
    held_out: tuple[tuple[str, str, str], ...]  # (kind, text, target: "ad" / "news" / "friend" / "")


ACCOUNTS = (
    Account("maya_writes", "Writer. Feminist. Opinions mine.", "female", "30-44", CRITIC,
            (("post", "Ads still treat women's bodies as projects. Tired of it."),
             ("reply", "This is condescending and you know it.")),
            (("reply", "This ad is so sexist. Her husband buys his already thin wife a bike? Body shaming.", "ad"),
             ("repost", "", "news"))),
    Account("drjen_runs", "Sports medicine doc. Runner.", "female", "45-64", CRITIC,
            (("post", "Exercise is not a punishment for eating."), ("like", "")),
            (("reply", "Sexist and body shaming. Who approved this ad?", "ad"),)),
    Account("tom_in_ops", "Marketing ops. Coffee.", "male", "30-44", CRITIC,
            (("quote", "Tone-deaf campaign of the week."), ("post", "Good brands listen before they post.")),
            (("quote", "Tone-deaf and sexist. Body shaming women for Christmas.", "ad"),
             ("quote", "Deserved. Listen to your customers.", "news"))),
    Account("lolwhy", "professional lurker, amateur comedian", "male", "18-29", JOKER,
            (("post", "lol my cat just unsubscribed from my life"), ("quote", "this is a hostage situation lol")),
            (("quote", "This is a hostage video lol 😂", "ad"),)),
    Account("blinktwice_bea", "memes and houseplants", "female", "18-29", JOKER,
            (("reply", "the way she said that 😂"), ("post", "plot twist: the plant was fake all along")),
            (("reply", "Her face says blink twice if you need help 😂", "ad"),)),
    Account("spin_sara", "Peloton since 2017. 1,000 rides.", "female", "30-44", FAN,
            (("post", "Best ride this morning, love my bike!"), ("like", "")),
            (("like", "", "ad"),)),
    Account("coach_mike", "Cycling coach. Watts or it didn't happen.", "male", "45-64", FAN,
            (("post", "Great session with the team today."), ("repost", "")),
            (("like", "", "ad"), ("like", "", "news"))),
    Account("fitdad_raj", "Dad of three. Early rides.", "male", "30-44", FAN,
            (("post", "5am ride done, coffee next."), ("like", "")),
            (("repost", "", "ad"), ("like", "", "ad"))),
    Account("happy_hanna", "Gratitude, family, bikes.", "female", "45-64", FAN,
            (("reply", "Love this, so inspiring!"), ("post", "My Peloton changed my life, honestly.")),
            (("reply", "Honestly a great gift. Love my Peloton bike.", "ad"),)),
    Account("quiet_quinn", "reading, mostly", "nonbinary", "18-29", LURKER,
            (("like", ""),),
            (("like", "", "news"),)),
    Account("ben_numbers", "Analyst. Markets, charts.", "male", "65+", LURKER,
            (("post", "Retail earnings week, buckle up."),),
            (("like", "", "news"), ("post", "Quiet week in the markets.", ""))),
    Account("nora_nights", "Nurse. Night shifts.", "female", "65+", LURKER,
            (("post", "Twelve hours done. Sleep."),),
            (("reply", "Congrats on the marathon, so proud of you!", "friend"),)),
)  # fmt: skip

TARGETS = {
    "ad": (AD_ID, AD_AUTHOR, AD_TEXT),
    "news": (NEWS_ID, NEWS_AUTHOR, NEWS_TEXT),
    "friend": ("1203555666777888999", "nora_friend", "Finished my first marathon today!"),
    "": ("", "", ""),
}


def backtest_panel(organization, name: str = "Holiday ad audience (imported)") -> Panel:
    """The twelve accounts as imported personas in one panel, with follows and history."""
    panel = Panel.objects.create(organization=organization, name=name, kind=Panel.Kind.IMPORTED)
    personas = []
    for n, account in enumerate(ACCOUNTS):
        source = SourceAccount.objects.create(
            organization=organization, platform="x", platform_id=str(9100000 + n), handle=account.handle,
            bio=account.bio, followers_count=150 + 37 * n, following_count=300 + 11 * n,
        )  # fmt: skip
        persona = Persona.objects.create(
            organization=organization, handle=account.handle, display_name=account.handle.replace("_", " ").title(),
            bio=account.bio, origin=Persona.Origin.IMPORTED, source_account=source,
            traits={"gender": account.gender, "age_group": account.age_group},
            propensities=account.propensities, activity_rate=0.4,
            card=f"You are @{account.handle}: {account.bio} Recently you wrote: "
            + " | ".join(text for _, text in account.training if text),
        )  # fmt: skip
        PanelMember.objects.create(organization=organization, panel=panel, persona=persona)
        personas.append(persona)
        _history(organization, source, account, n)
    for n, follower in enumerate(personas):  # a small ring plus everyone following the first critic
        for followee in {personas[(n + 1) % len(personas)], personas[0]} - {follower}:
            FollowEdge.objects.create(
                organization=organization, panel=panel, follower=follower, followee=followee
            )
    return panel


def _history(organization, source: SourceAccount, account: Account, n: int) -> None:
    for i, (kind, text) in enumerate(account.training):
        HistoryItem.objects.create(
            organization=organization, account=source, platform_id=f"{source.platform_id}-t{i}", kind=kind,
            text=text, created_at=TRAINING_START + timedelta(days=7 * i, hours=n),
        )  # fmt: skip
    for i, (kind, text, target) in enumerate(account.held_out):
        target_id, target_author, target_text = TARGETS[target]
        HistoryItem.objects.create(
            organization=organization, account=source, platform_id=f"{source.platform_id}-h{i}", kind=kind,
            text=text, created_at=HELD_OUT_START + timedelta(hours=3 * i + n), target_id=target_id,
            target_author=target_author, target_text=target_text if kind != "like" or i % 2 == 0 else "",
            held_out=True,
        )  # fmt: skip
