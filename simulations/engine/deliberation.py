"""The ``deliberation`` format: a deliberative poll (Fishkin) or moderated town hall.

Step 0 polls everyone on the question before anything is said. Then a moderator posts the
briefing to each small group, and every member of every group takes a turn each round: speak
(a reply in the group's thread, answering someone by handle) or pass, having read the briefing
and the group's latest posts. The last step polls everyone again. Groups are assigned at random
but dealt in order of starting stance, so each group holds the range of views, as deliberative
polls mix their small groups. Nothing is kept between steps that the posts and the config do not
already hold: the phase follows from the step, the groups from the panel and the seed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from typing import Any

from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.seeds import decision_seed
from simnet.llm.stance_rules import DELIBERATION, SIDE_KEY, prior_stance
from simnet.llm.tokens import trim_to_tokens
from simulations.engine.actions import ActionResult, ActionType, Ignore, Outcome, Reply, execute
from simulations.engine.feed_format import error_result, record_exposure
from simulations.engine.parsing import MAX_REASON_CHARS, clean_str, normalise_action
from simulations.engine.posts import PostKind
from simulations.engine.prompts import situation_traits
from simulations.engine.stance import PollAnswer, StanceQuestion, parse_poll, poll_request
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.world import World

MODERATOR_HANDLE = "moderator"
DEFAULT_ROUNDS = 3
SPEAK_MAX_CHARS = 600
POLL_KINDS = frozenset({"poll", "repoll"})
FEED_REF = re.compile(r"P\d+", re.IGNORECASE)  # a feed's post reference (the rule policy's), not a handle
DISCUSS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["speak", "pass"]},
        "target": {"type": ["string", "null"]},
        "text": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
    "required": ["action", "target", "text", "reason"],
    "additionalProperties": False,
}
DISCUSS_RULES = (
    "You are in a small moderated discussion group of a deliberative poll. Stay in character, speak as "
    "this person would in under 60 words, give reasons, answer others by @handle, pass if you have "
    "nothing to add. Answer with one JSON object: action (speak or pass), target (@handle or null), "
    "text, reason (a few words)."
)
REPAIR_NOTE = "Answer again with one JSON object: action (speak or pass), target, text, reason."
SPEAK_SYNONYMS: Mapping[str, str] = {
    "reply": "speak", "post": "speak", "quote": "speak", "comment": "speak", "say": "speak",
    "ignore": "pass", "skip": "pass", "like": "pass", "repost": "pass", "none": "pass", "nothing": "pass",
    "follow": "pass", "unfollow": "pass", "mute": "pass", "report": "pass",
}  # fmt: skip


def total_steps(world: World) -> int:
    steps = world.config.deliberation.steps
    return steps if steps else DEFAULT_ROUNDS + 2


def phase_of(world: World, step: int) -> str:
    """poll (step 0), discuss, repoll (the last step), or done (after it)."""
    last = total_steps(world) - 1
    return "poll" if step == 0 else "repoll" if step == last else "discuss" if step < last else "done"


def question_of(world: World) -> StanceQuestion:
    config = world.config.deliberation
    return StanceQuestion(config.question, config.agree_side)


def assign_groups(world: World) -> list[list[str]]:
    """Members of each group: shuffled with the run's seed, sorted by starting stance, dealt round robin."""
    config = world.config.deliberation
    rng = random.Random(f"deliberation:{world.config.seed}")
    members = list(world.personas)
    rng.shuffle(members)
    members.sort(key=lambda pid: prior_stance(world.personas[pid].traits, config.agree_side))
    count = max(1, math.ceil(len(members) / config.group_size))
    groups: list[list[str]] = [[] for _ in range(count)]
    for index, pid in enumerate(members):
        groups[index % count].append(pid)
    return groups


def group_threads(world: World) -> list[str]:
    """The briefing post of each group, in group order (empty before the briefing)."""
    moderator = world.outside_account(MODERATOR_HANDLE)
    return [p.id for p in world.posts.values() if p.author_id == moderator and p.parent_id is None]


def post_briefings(world: World, step: int) -> list[str]:
    config = world.config.deliberation
    moderator = world.outside_account(MODERATOR_HANDLE)
    posts = []
    for index, _ in enumerate(assign_groups(world), start=1):
        text = f"Group {index}. Briefing: {config.briefing or 'no briefing material'} Question: {config.question}"
        posts.append(world.add_post(moderator, PostKind.POST, text, step).id)
    return posts


class DeliberationFormat:
    name = "deliberation"
    repair_note = REPAIR_NOTE

    def setup(self, world: World) -> None:
        question_of(world)  # raises on an empty question
        if len(world.personas) < 2:
            raise ValueError("a deliberation needs at least two participants")

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]:
        phase = phase_of(world, step)
        if phase in POLL_KINDS:
            question = question_of(world)
            return [
                AgentTurn(pid, poll_request(world, pid, question, key=pid), self.name, phase)
                for pid in world.personas
            ]
        if phase == "done":
            return []
        threads = group_threads(world)
        turns = []
        for group, members in enumerate(assign_groups(world)):
            feed = group_view(world, threads[group])
            for pid in members:
                request = discussion_request(world, pid, step, feed, group)
                turns.append(AgentTurn(pid, request, self.name, "discuss", feed))
        return turns

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str:
        if turn.kind in POLL_KINDS:
            answer = parse_poll(payload)
            if isinstance(answer, str):
                return answer
            return Decision("poll", text=answer.sentence, position=f"{answer.stance:+d}")
        action = normalise_action(payload.get("action"), SPEAK_SYNONYMS)
        reason = (clean_str(payload.get("reason")) or "")[:MAX_REASON_CHARS]
        if action == "pass":
            return Decision("pass", reason=reason)
        if action != "speak":
            return f"unknown action {payload.get('action')!r}; use speak or pass"
        text = clean_str(payload.get("text"))
        if not text:
            return "speak needs a text"
        target = clean_str(payload.get("target"))
        handle = target.lstrip("@") if target and not FEED_REF.fullmatch(target) else None
        return Decision("speak", target_handle=handle, text=text[:SPEAK_MAX_CHARS], reason=reason)

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult:
        if answer.decision is None:
            return error_result(step, answer)
        decision = answer.decision
        if turn.kind in POLL_KINDS:  # a reading, not an act: the world does not change
            return ActionResult(
                step, turn.agent_id, ActionType.IGNORE, Outcome.OK, text=decision.text or "",
                reason=f"stance {turn.kind}", position=decision.position, usage=answer.usage,
            )  # fmt: skip
        record_exposure(world, turn)
        if decision.action == "pass":
            return execute(world, turn.agent_id, Ignore(), step, reason=decision.reason, usage=answer.usage)
        target = answered_post(world, turn, decision.target_handle)
        return execute(
            world,
            turn.agent_id,
            Reply(target, decision.text or ""),
            step,
            reason=decision.reason,
            usage=answer.usage,
        )

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        """After the first poll the moderator posts each group's briefing. No event: the step's own
        events say what happened, and a "meeting" event would ask the room for an agenda."""
        if phase_of(world, world.next_step) == "poll":
            post_briefings(world, world.next_step)
        return None


def poll_answer_of(decision: Decision) -> PollAnswer | None:
    """The poll answer a stored decision carries (None for other decisions)."""
    if decision.action != "poll" or decision.position is None:
        return None
    return PollAnswer(int(decision.position), decision.text or "")


def group_view(world: World, thread: str) -> tuple[str, ...]:
    """The group's briefing and its latest posts, oldest first."""
    replies = [p.id for p in world.posts.values() if p.root_id == thread]
    return (thread, *replies[-world.config.deliberation.context_utterances :])


def answered_post(world: World, turn: AgentTurn, handle: str | None) -> str:
    """The named member's latest post in the view, else the latest by someone else, else the briefing."""
    named = world.agent_for_handle(handle) if handle else None
    others = [pid for pid in turn.feed[1:] if world.posts[pid].author_id != turn.agent_id]
    for pid in reversed(others):
        if named is None or world.posts[pid].author_id == named:
            return pid
    return turn.feed[0]


def discussion_request(
    world: World, agent_id: str, step: int, feed: tuple[str, ...], group: int
) -> LLMRequest:
    persona = world.personas[agent_id]
    rounds = total_steps(world) - 2
    lines = [
        f"Round {step} of {rounds}, group {group + 1}.",
        f"Moderator: {trim_to_tokens(world.posts[feed[0]].text, 160)}",
        "Moderator: listen to the others, give your reasons, and answer someone who sees it differently.",
    ]
    memory = world.agents[agent_id].memory.render()
    if memory:
        lines.append(f"Memory: {memory}")
    if len(feed) > 1:
        lines.append("Said so far:")
        lines += [
            f"@{world.handle_of(world.posts[pid].author_id)}: {trim_to_tokens(world.posts[pid].text, 45)}"
            for pid in feed[1:]
        ]
    items = tuple(
        FeedItem(pid, world.posts[pid].author_id, world.handle_of(world.posts[pid].author_id),
                 world.posts[pid].text, str(world.posts[pid].kind), relevance=round(world.relevance(agent_id, world.posts[pid]), 3))
        for pid in feed
    )  # fmt: skip
    role = f", {persona.role}" if persona.role else ""
    return LLMRequest(
        key=agent_id,
        system=f"You are {persona.name} (@{persona.handle}){role}.\n{persona.card}\n{DISCUSS_RULES}",
        user="\n".join(lines),
        schema=DISCUSS_SCHEMA,
        max_tokens=world.config.max_output_tokens,
        seed=decision_seed(world.config.seed, agent_id, step),
        temperature=world.config.temperature,
        situation=Situation(
            agent_id,
            step,
            items,
            dict(persona.propensities),
            {**situation_traits(persona), SIDE_KEY: world.config.deliberation.agree_side},
            DELIBERATION,
        ),
    )
