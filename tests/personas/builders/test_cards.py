"""Persona cards: hard token budget (also on adversarial input), diverse examples, determinism."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personas.builders.cards import (
    PersonaIdentity,
    build_card,
    build_synthetic_card,
    fit_to_tokens,
    select_examples,
)
from personas.builders.profiling import derive_profile, split_history
from scraping.sources.records import AccountRecord, HistoryKind, HistoryRecord
from simnet.llm.tokens import count_tokens
from tests.personas.builders.fixtures import ACCOUNT, HISTORY

START = datetime(2024, 1, 1, tzinfo=UTC)
KIND_OF = {"p": HistoryKind.POST, "r": HistoryKind.REPLY, "q": HistoryKind.QUOTE}


def card_for(account: AccountRecord, history: list[HistoryRecord], budget: int):
    profile = derive_profile(account, history)
    training = split_history(history).training
    return build_card(profile, account, training, budget_tokens=budget)


def assert_within(card, budget: int) -> None:
    assert card.tokens == count_tokens(card.text)
    assert card.tokens <= budget


@pytest.mark.parametrize("budget", [20, 60, 150, 500, 2000])
def test_fixture_card_fits_every_budget(budget):
    assert_within(card_for(ACCOUNT, HISTORY, budget), budget)


def test_card_sections_and_examples_cover_kinds():
    card = card_for(ACCOUNT, HISTORY, 500)
    for heading in ("You are Alice Hill (@alice).", "Bio:", "Style:", "Interests:", "Stances:", "Habits:"):
        assert heading in card.text
    assert "Examples of how you write:" in card.text
    kinds = {sample_id[0] for sample_id in card.sample_item_ids}
    assert {"p", "r", "q"} <= kinds  # a post, a reply and a quote
    assert not set(card.sample_item_ids) & {"h1", "h2", "h3", "h4"}  # nothing held out leaks
    assert len(card.sample_item_ids) == len(set(card.sample_item_ids))


def test_card_is_deterministic():
    assert card_for(ACCOUNT, HISTORY, 300) == card_for(ACCOUNT, list(reversed(HISTORY)), 300)


def _adversarial_history() -> list[HistoryRecord]:
    texts = [
        "x" * 20_000,  # one enormous word
        "word " * 8_000,  # an enormous post
        " ".join(f"#tag{i}" for i in range(600)),  # hashtag flood
        "这是一个没有空格的很长的中文句子" * 400,  # no spaces, multi-byte
        "مرحبا بالعالم " * 500,
        "😀🔥💯" * 2_000,
        "@" + "a" * 300 + " " + "!?" * 2_000,
    ]
    history = []
    for i, text in enumerate(texts * 3):
        kind = (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE)[i % 3]
        history.append(
            HistoryRecord(
                f"{kind.value[0]}{i}", kind, text=text + f" {i}", created_at=START + timedelta(hours=i)
            )
        )
    return history


@pytest.mark.parametrize("budget", [1, 5, 40, 120, 500])
def test_adversarial_histories_never_exceed_the_budget(budget):
    account = AccountRecord(
        "x",
        "1",
        "h" * 500,
        display_name="名前" * 2_000,
        bio="#bio " * 5_000 + "很长" * 5_000,
    )
    card = card_for(account, _adversarial_history(), budget)
    assert_within(card, budget)


def test_budget_must_be_positive():
    with pytest.raises(ValueError):
        card_for(ACCOUNT, HISTORY, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.text(min_size=0, max_size=400), min_size=0, max_size=12),
    bio=st.text(max_size=600),
    budget=st.integers(min_value=1, max_value=400),
)
def test_any_history_fits_any_budget(texts, bio, budget):
    history = [
        HistoryRecord(f"p{i}", HistoryKind.POST, text=t, created_at=START + timedelta(days=i))
        for i, t in enumerate(texts)
    ]
    account = AccountRecord("x", "1", "someone", bio=bio)
    assert_within(card_for(account, history, budget), budget)


def test_examples_are_representative_and_diverse():
    cycling = [
        f"cycling race today road bike climb {w}" for w in ("again", "fun", "hard", "fast", "uphill", "wet")
    ]
    baking = [f"baking sourdough bread at home {w}" for w in ("crusty", "rye", "starter")]
    history = [HistoryRecord(f"c{i}", HistoryKind.POST, text=t) for i, t in enumerate(cycling)]
    history += [HistoryRecord(f"b{i}", HistoryKind.POST, text=t) for i, t in enumerate(baking)]
    chosen = [r.platform_id for r in select_examples(history, k=2)]
    assert chosen[0].startswith("c")  # closest to the centroid: the majority topic
    assert chosen[1].startswith("b")  # then the other topic, not another near-duplicate


def test_examples_skip_duplicates_and_non_text_kinds():
    history = [
        HistoryRecord("a", HistoryKind.POST, text="Same words here"),
        HistoryRecord("b", HistoryKind.POST, text="same   words HERE"),
        HistoryRecord("c", HistoryKind.LIKE, target_text="liked text"),
        HistoryRecord("d", HistoryKind.REPOST, text="reposted text"),
    ]
    assert [r.platform_id for r in select_examples(history, k=5)] == ["a"]


def test_identity_without_account_record():
    profile = derive_profile(ACCOUNT, HISTORY)
    card = build_card(profile, PersonaIdentity(handle="ally", bio="Runner."), HISTORY, budget_tokens=400)
    assert card.text.startswith("You are ally (@ally).")
    assert "Bio: Runner." in card.text


def test_fit_to_tokens_cuts_unspaced_scripts_between_characters():
    text = "漢字" * 1_000
    fitted = fit_to_tokens(text, 10)
    assert fitted and count_tokens(fitted) <= 10 and fitted.endswith("…")
    assert fit_to_tokens("short text", 10) == "short text"


@pytest.mark.parametrize("budget", [3, 50, 500])
def test_synthetic_card_within_budget(budget):
    traits = {"age": 34, "party": "Democrat", "interests": ["music"] * 500, "notes": "很长" * 3_000}
    card = build_synthetic_card(
        traits, "casual " * 2_000, name="Ann Lee", handle="annl", budget_tokens=budget
    )
    assert_within(card, budget)
    assert card.sample_item_ids == ()


def test_synthetic_card_content():
    card = build_synthetic_card(
        {"age": 34, "party_id": "Weak Democrat", "interests": ("music", "gaming")},
        "casual, emoji",
        name="Ann Lee",
        handle="annl",
        examples=["omg this is so good"],
    )
    assert card.text.splitlines()[0] == "You are Ann Lee (@annl)."
    assert "About you: age: 34; party id: Weak Democrat" in card.text
    assert "Interests: music, gaming" in card.text
    assert "How you write: casual, emoji" in card.text
    assert "- omg this is so good" in card.text
