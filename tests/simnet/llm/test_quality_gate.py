"""The quality gate refuses the junk small models write and lets people's own short posts through."""

from __future__ import annotations

from pathlib import Path

import pytest

from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation
from simnet.llm.quality_gate import REASONS, GatedText, Verdict, check_text, gate_share, texts_of

HUMAN_TWEETS = Path.home() / ".cache/simnet/data/hutto_ICWSM_2014/tweets_GroundTruth.txt"
MAX_FALSE_REJECTS = 0.03

# What SmolLM2-135M wrote in offline runs, with the rule each one breaks.
JUNK = [
    ("Lemon Laws of 1971: The Law of the Seven L", "post", "cut"),
    ("Your own short words:", "post", "scaffolding"),
    ("P1 @thegiftthatgivesback: a husband gave his wife", "reply", "scaffolding"),
    ("This holiday will change [insert specific detail here]", "post", "scaffolding"),
    ("Mon, 08/08 21:59:1", "post", "digits"),
    ("2022-02-18", "reason", "digits"),
    ("position", "reason", "scaffolding"),
    ("A3", "reason", "scaffolding"),
    ("You: s1 Posted: Your own You: s2 Posted: …", "answer", "scaffolding"),
    ("{'action': 'post', 'text': 'Great ad'}", "post", "scaffolding"),  # the decision echoed as a dict
    # What got through the first version of the gate in the Peloton walk (tests/browser).
    ("Over the past few few weeks, [text] is great", "reply", "scaffolding"),
    ("Love it #P1P2P3P4", "post", "scaffolding"),
    ("Mon 09/09/2022 12:15:23@agenda: Approve 20", "reason", "digits"),
    ("Meeting at 08/08 21:59 went well", "post", "digits"),
]
AD = "The gift that will change her life: a bike for the wife who already works out every day."


@pytest.mark.parametrize(("text", "kind", "reason"), JUNK)
def test_the_junk_of_offline_runs_is_refused_with_its_reason(text, kind, reason):
    assert check_text(text, answers=AD, kind=kind) == Verdict(False, reason) and reason in REASONS


def test_almost_every_human_tweet_passes():
    if not HUMAN_TWEETS.exists():
        pytest.skip("the VADER tweets are not downloaded")
    lines = HUMAN_TWEETS.read_text(encoding="utf-8", errors="replace").splitlines()
    tweets = [line.split("\t")[2] for line in lines if line.count("\t") >= 2]
    refused = sum(not check_text(tweet).ok for tweet in tweets)
    assert len(tweets) > 4000
    assert refused / len(tweets) < MAX_FALSE_REJECTS


@pytest.mark.parametrize(
    "text",
    ["Love this!", "No way, this is tone-deaf", "lol", "😂😂😂", "Happy wife, happy life #peloton", "So true :/",
     "Who asked for this? 🙄", "Great gift idea... not"],
)  # fmt: skip
def test_short_genuine_reactions_pass_as_replies(text):
    assert check_text(text, answers=AD, prompt=f"You are Ann.\nP1 @brand: {AD}", kind="reply").ok


def test_a_copy_of_the_post_or_of_the_prompt_is_refused():
    assert check_text(AD, answers=AD, kind="reply") == Verdict(False, "copy")
    prompt = "You are Ann (@ann), a nurse from Leeds who loves hiking and cheap flights.\nP1 @brand: hello"
    pasted = "A nurse from Leeds who loves hiking and cheap flights."
    assert check_text(pasted, prompt=prompt, kind="post") == Verdict(False, "copy")
    assert check_text("Hiking again this weekend, cheap flights to Leeds!", prompt=prompt, kind="post").ok


def test_a_short_post_naming_the_personas_interest_is_a_topic_not_a_paste():
    """The rule baseline's posts (and a model's) name an interest from the card: three words in a
    row from the prompt; five are a paste."""
    prompt = "You are Bo (@bo), who cares about personal finance and home cooking.\nP1 @brand: hello"
    assert check_text("Thinking about personal finance today.", prompt=prompt, kind="post").ok
    assert check_text("Anyone else following home cooking?", prompt=prompt, kind="post").ok
    pasted = "I care about personal finance and home cooking"
    assert check_text(pasted, prompt=prompt, kind="post") == Verdict(False, "copy")


def test_a_long_reply_sharing_no_word_with_its_post_is_off_topic():
    rambling = "Lemon laws protect buyers of cars with repeated defects in many American states since decades"
    assert check_text(rambling, answers=AD, kind="reply") == Verdict(False, "off_topic")
    on_topic = (
        "Buying your wife a bike as a gift says you think she needs to lose weight, awful advert honestly"
    )
    assert check_text(on_topic, answers=AD, kind="reply").ok
    assert check_text(rambling, kind="post").ok  # a new post answers nothing


def test_text_cut_mid_phrase_is_refused_but_an_unpunctuated_post_passes():
    assert check_text("I think the brand should apologise to the", kind="post") == Verdict(False, "cut")
    assert check_text("Honestly this ad is,", kind="post") == Verdict(False, "cut")
    assert check_text("going for a ride with the kids later", kind="post").ok
    assert check_text("going for a ride later https://t.co/x", kind="post").ok


def test_reasons_and_answers():
    assert check_text("too expensive for our members", kind="reason").ok
    assert check_text("", kind="reason") == Verdict(False, "empty")
    whole = "I saw the ad twice. It annoyed me because it talks down to women, and I said so"
    assert check_text(whole, answers="Interviewer: what did you think of the ad?", kind="answer").ok
    assert check_text("I saw the ad and I thought that the", kind="answer") == Verdict(False, "cut")
    with pytest.raises(ValueError):
        check_text("hi", kind="poem")


def test_a_short_reason_may_name_the_agenda_but_a_long_one_may_not_paste_it():
    prompt = "Agenda item 1 of 1: Approve next year's budget with a 5% cut to engineering jobs and a hiring freeze."
    assert check_text("cut to engineering jobs", prompt=prompt, kind="reason").ok
    pasted = "Approve next year's budget with a 5% cut to engineering jobs and a hiring freeze"
    assert check_text(pasted, prompt=prompt, kind="reason") == Verdict(False, "copy")


def test_the_prompts_own_labels_are_scaffolding():
    prompt = "Memory: liked a post\nVote now: position for, against or abstain, and one sentence why."
    assert check_text("Vote now", prompt=prompt, kind="reason") == Verdict(False, "scaffolding")
    assert check_text("Great bike. Memory: none", prompt=prompt, kind="post") == Verdict(False, "scaffolding")
    assert check_text("I vote now because it is late", prompt=prompt, kind="reason").ok


def test_gate_share():
    assert gate_share(3, 12) == 0.25 and gate_share(0, 0) == 0.0


def _feed_request(format_name: str, key: str = "7", schema: dict | None = None) -> LLMRequest:
    feed = (FeedItem("p1", "1", "brand", AD, "post"), FeedItem("p2", "2", "bob", "Nice bike.", "post"))
    return LLMRequest(key, "system", "user", schema=schema or {"type": "object"},
                      situation=Situation(key, 1, feed, format=format_name))  # fmt: skip


def _answer(request: LLMRequest, data: dict | None = None, text: str = "") -> LLMResponse:
    return LLMResponse(request.key, text, data=data)


def test_texts_of_reads_the_words_each_kind_of_request_carries():
    feed = _feed_request("feed")
    reply = {"action": "reply", "target": "P2", "text": "Same!", "reason": "fun"}
    assert texts_of(feed, _answer(feed, reply)) == [GatedText("Same!", "reply", "Nice bike.")]
    assert (
        texts_of(feed, _answer(feed, {"action": "like", "target": "P1", "text": None, "reason": "x"})) == []
    )
    meeting = _feed_request("roundtable")
    vote = {"action": "vote", "target": None, "text": None, "position": "for", "reason": "A3"}
    assert texts_of(meeting, _answer(meeting, vote)) == [GatedText("A3", "reason")]
    worded_vote = {**vote, "text": "Over the past few few weeks, [insert here]", "reason": "cost"}
    assert texts_of(meeting, _answer(meeting, worded_vote)) == [
        GatedText("Over the past few few weeks, [insert here]", "reply", AD),
        GatedText("cost", "reason"),
    ]  # the minutes print a vote's words as its "why"
    pass_as_vote = {**vote, "action": "pass", "reason": "no budget"}
    assert texts_of(meeting, _answer(meeting, pass_as_vote)) == [GatedText("no budget", "reason")]
    assert texts_of(meeting, _answer(meeting, {**pass_as_vote, "position": None})) == []
    speak = {"action": "speak", "target": None, "text": "I agree.", "position": None, "reason": "x"}
    assert texts_of(meeting, _answer(meeting, speak)) == [GatedText("I agree.", "reply", AD)]
    interview = LLMRequest(
        "interview:7", "s", "Interviewer: why?", situation=Situation("7", 2, format="interview")
    )
    assert texts_of(interview, _answer(interview, text="Because.")) == [
        GatedText("Because.", "answer", "Interviewer: why?")
    ]
    writer = LLMRequest("7", "s", "u", text_kind="quote", answers=AD)
    assert texts_of(writer, _answer(writer, text="Oof.")) == [GatedText("Oof.", "quote", AD)]
    judge = LLMRequest("judge", "s", "u", schema={"type": "object"})
    assert texts_of(judge, _answer(judge, {"score": 3})) == []
    assert texts_of(feed, LLMResponse(feed.key, "", error="boom")) == []
