"""Prompts: a stable prefix per persona and a short suffix per step.

The prefix (``LLMRequest.system``) is the persona's card plus terse rules and the answer format;
it is byte-identical at every step, so provider prompt caches (and llama.cpp's KV cache) reuse
it. The suffix (``LLMRequest.user``) carries only what changes: the step and time, the agent's
memory and the feed, whose items get short ids P1..Pk that the parser maps back to post ids.
With the default token knobs a decision with a ~250-token card and a feed of 5 stays under
600 input tokens; ``prompt_tokens`` reports the split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.seeds import decision_seed
from simnet.llm.tokens import count_tokens, trim_to_tokens
from simnet.llm.words import copies
from simulations.engine.media import turn_media
from simulations.engine.memory import memory_entry
from simulations.engine.persona import Persona
from simulations.engine.schemas import DECISION_SCHEMA, FORUM_SCHEMA
from simulations.engine.world import World

TEXT_BUDGET_STEP = 4
SAMPLE_TOKENS = 40  # one of the persona's own posts, as an example of the voice
OWN_POSTS_HEADING = "Posts you wrote (your voice, not words to repeat):"

FEED_RULES = (
    "Rules: stay in character. People mostly scroll: ignore unless something moves you. Pick one action: "
    "post reply quote repost like follow unfollow mute report ignore. target: a feed id like P2, or @handle to "
    "follow unfollow mute; null for post and ignore. text: one or two sentences in your voice for post reply quote, else null. "
    "Answer with one JSON object with keys action target text reason (a few words)."
)


FORUM_RULES = (
    "Rules: stay in character. Most people only read: ignore unless something moves you. Pick one action: "
    "post reply upvote downvote ignore. target: a thread id like P2 for reply upvote downvote (you may change "
    "your vote); for post the community (r/name) or null. text: one or two sentences in your voice for post and reply, else "
    "null. Answer with one JSON object with keys action target text reason (a few words)."
)


@dataclass(frozen=True)
class PromptTokens:
    prefix: int
    suffix: int

    @property
    def total(self) -> int:
        return self.prefix + self.suffix

    @property
    def cacheable_share(self) -> float:
        """Share of the input that is the stable, cacheable prefix."""
        return self.prefix / self.total if self.total else 0.0


def prompt_tokens(request: LLMRequest) -> PromptTokens:
    return PromptTokens(count_tokens(request.system), count_tokens(request.user))


@dataclass(frozen=True)
class Grounding:
    """What a prompt shows of who the persona is: its card and its own posts (few-shot)."""

    card: str
    samples: tuple[str, ...]


def grounding(world: World, persona: Persona) -> Grounding:
    """The card and the persona's own posts to show. No quoted line or own post that repeats one
    of the run's stimuli (the brand's own account may hold the very ad: an example must never hand
    the model the post it reacts to), and each own post once: the card's quoted copy of a post
    shown below it is dropped. Same copy rule as the quality gate (``simnet.llm.words.copies``).
    A persona without own posts (synthetic) keeps its card as it is."""
    if not persona.samples:
        return Grounding(persona.card, ())
    stimuli = [s.text for s in world.pending] + [p.text for p in world.posts.values() if p.is_stimulus]
    samples = tuple(s for s in persona.samples if not any(copies(s, text) for text in stimuli))
    lines = persona.card.split("\n")
    dropped = {
        i
        for i, line in enumerate(lines)
        if line.startswith("- ") and any(copies(line[2:], text) for text in (*stimuli, *samples))
    }
    quoted = [i for i, line in enumerate(lines) if line.startswith("- ")]
    if quoted and set(quoted) <= dropped and quoted[0] > 0:
        dropped.add(quoted[0] - 1)  # the examples heading, with nothing left under it
    return Grounding("\n".join(line for i, line in enumerate(lines) if i not in dropped), samples)


def own_posts(samples: Sequence[str]) -> str:
    """A few posts the persona really wrote, as examples of the voice, with a newline after them;
    empty without real posts. Right before the rules, so a small model reads them last; the
    offline model may not copy four tokens of them in a row (``offline_decoding.NoCopy``), so it
    writes in their voice, not their words."""
    if not samples:
        return ""
    lines = [f"- {trim_to_tokens(' '.join(text.split()), SAMPLE_TOKENS)}" for text in samples]
    return "\n".join([OWN_POSTS_HEADING, *lines]) + "\n"


def persona_voice(persona: Persona, shown: Grounding | None = None) -> str:
    """Who the persona is, without the answer rules: what a writer needs for words in its voice."""
    shown = shown or Grounding(persona.card, persona.samples)
    text = f"You are {persona.name} (@{persona.handle}).\n{shown.card}\n{own_posts(shown.samples)}"
    return text.rstrip("\n")


def feed_prefix_text(persona: Persona, shown: Grounding | None = None) -> str:
    """The feed prefix; without ``shown`` (an estimate, which knows no stimuli) the card and every
    own post as stored."""
    shown = shown or Grounding(persona.card, persona.samples)
    return (
        f"You are {persona.name} (@{persona.handle}) on a social network.\n{shown.card}\n"
        f"{own_posts(shown.samples)}{FEED_RULES}"
    )


def forum_prefix_text(persona: Persona, shown: Grounding | None = None) -> str:
    shown = shown or Grounding(persona.card, persona.samples)
    return (
        f"You are {persona.name} (@{persona.handle}) on a discussion forum.\n{shown.card}\n"
        f"{own_posts(shown.samples)}{FORUM_RULES}"
    )


def feed_prefix(world: World, persona: Persona) -> str:
    """The persona's stable prefix, built once per world and reused at every step."""
    prefix = world.prefixes.get(persona.id)
    if prefix is None:
        text = forum_prefix_text if world.config.format == "forum" else feed_prefix_text
        prefix = world.prefixes[persona.id] = text(persona, grounding(world, persona))
    return prefix


def excerpt(world: World, post_id: str, budget: int) -> str:
    """A post's text cut to ``budget`` tokens (cached: a post's text never changes)."""
    key = (post_id, budget)
    text = world.excerpts.get(key)
    if text is None:
        text = world.excerpts[key] = trim_to_tokens(
            " ".join(world.posts[post_id].text.split()), max(0, budget)
        )
    return text


def seen_entry(world: World, post_id: str) -> tuple[str, int]:
    """How a seen post is remembered, with its token count (cached per post)."""
    entry = world.seen_entries.get(post_id)
    if entry is None:
        post = world.posts[post_id]
        entry = world.seen_entries[post_id] = memory_entry(f"@{world.handle_of(post.author_id)}: {post.text}")
    return entry


def render_item(world: World, index: int, item: FeedItem, notes: Sequence[str]) -> str:
    """``P3 @ann (you follow, 12 likes): text`` within ``feed_item_tokens`` for the whole line.

    Notes come in priority order; the least important are dropped while the header takes more
    than half the line, and the text gets whatever the header leaves (rounded down to a multiple
    of ``TEXT_BUDGET_STEP`` so a post's cut text is cached for few budgets).
    """
    budget = world.config.feed_item_tokens
    tallies = (
        (item.likes, "like", "likes"),
        (item.replies, "reply", "replies"),
        (item.reposts, "repost", "reposts"),
    )
    counts = [f"{n} {one if n == 1 else many}" for n, one, many in tallies if n]
    details = [*notes[:2], *counts[:1], *notes[2:], *counts[1:]]
    head = f"P{index} @{item.author_handle}"
    head_tokens = _piece_tokens(head) + 1  # the closing colon
    detail_tokens = [_piece_tokens(d) for d in details]
    while details and head_tokens + sum(detail_tokens) + len(details) + 1 > budget // 2:
        details.pop()  # "(", ")" and the ", " separators cost one token each
        detail_tokens.pop()
    header = head + (f" ({', '.join(details)})" if details else "") + ":"
    header_tokens = head_tokens + (sum(detail_tokens) + len(details) + 1 if details else 0)
    text_budget = (budget - header_tokens) // TEXT_BUDGET_STEP * TEXT_BUDGET_STEP
    return f"{header} {excerpt(world, item.post_id, text_budget)}"


@lru_cache(maxsize=65_536)
def _piece_tokens(text: str) -> int:
    """``count_tokens`` memoised for the short, repeating parts of feed headers (handles, notes).

    Token counts add up over parts joined by spaces or punctuation, which is how headers are built.
    """
    return count_tokens(text)


def render_forum_item(world: World, index: int, item: FeedItem, depth: int, score: int) -> str:
    """``P3 r/general @ann (score 4, 2 replies): text``; a comment is indented by its depth and
    drops the community. The text gets what the header leaves of ``feed_item_tokens``."""
    post = world.posts[item.post_id]
    place = f" r/{post.community}" if depth == 0 else ""
    replies = f", {item.replies} {'reply' if item.replies == 1 else 'replies'}" if item.replies else ""
    header = f"{'  ' * depth}P{index}{place} @{item.author_handle} (score {score}{replies}):"
    budget = world.config.feed_item_tokens - _piece_tokens(header.strip())
    return f"{header} {excerpt(world, item.post_id, budget // TEXT_BUDGET_STEP * TEXT_BUDGET_STEP)}"


def feed_suffix(
    world: World,
    agent_id: str,
    step: int,
    lines: Sequence[str],
    heading: str = "Feed",
    ask: str = "Your action?",
) -> str:
    parts = [f"Step {step}, {world.clock.label(step)}."]
    memory = world.agents[agent_id].memory.render()
    if memory:
        parts.append(f"Memory: {memory}")
    parts.append(f"{heading}:\n" + "\n".join(lines) if lines else f"{heading}: empty.")
    parts.append(ask)
    return "\n".join(parts)


def situation_traits(persona: Persona) -> dict[str, object]:
    """Persona traits for policies that read data, with ``interests`` as a list of phrases."""
    traits = dict(persona.traits)
    if "interests" not in traits and persona.interests:
        traits["interests"] = [part.strip() for part in persona.interests.split(",") if part.strip()]
    return traits


def feed_request(
    world: World, agent_id: str, step: int, items: Sequence[FeedItem], notes: Sequence[Sequence[str]]
) -> LLMRequest:
    media = turn_media(world, items)
    lines = [render_item(world, i + 1, item, notes[i]) + media.notes[i] for i, item in enumerate(items)]
    user = feed_suffix(world, agent_id, step, lines)
    return replace(_turn_request(world, agent_id, step, items, user, "feed"), images=media.images)


def forum_request(
    world: World, agent_id: str, step: int, items: Sequence[FeedItem], depths: Sequence[int]
) -> LLMRequest:
    """A forum turn: the threads of the agent's communities, comments nested under their parents."""
    scores = [world.posts[item.post_id].score for item in items]
    media = turn_media(world, items)
    lines = [
        render_forum_item(world, i + 1, item, depths[i], scores[i]) + media.notes[i]
        for i, item in enumerate(items)
    ]
    communities = world.forum.members.get(agent_id, []) if world.forum else []
    ask = f"Your communities: {', '.join('r/' + c for c in communities)}. Your action?"
    user = feed_suffix(world, agent_id, step, lines, "Threads", ask)
    return replace(_turn_request(world, agent_id, step, items, user, "forum"), images=media.images)


def _turn_request(
    world: World, agent_id: str, step: int, items: Sequence[FeedItem], user: str, format_name: str
) -> LLMRequest:
    """A feed or forum decision: the persona's stable prefix, this step's suffix, the situation as data."""
    persona = world.personas[agent_id]
    return LLMRequest(
        key=agent_id,
        system=feed_prefix(world, persona),
        user=user,
        schema=FORUM_SCHEMA if format_name == "forum" else DECISION_SCHEMA,
        max_tokens=world.config.max_output_tokens,
        seed=decision_seed(world.config.seed, agent_id, step),
        temperature=world.config.temperature,
        situation=Situation(
            agent_id=agent_id,
            step=step,
            feed=tuple(items),
            propensities=dict(persona.propensities),
            traits=situation_traits(persona),
            format=format_name,
            voice=persona_voice(persona, grounding(world, persona)),
        ),
    )
