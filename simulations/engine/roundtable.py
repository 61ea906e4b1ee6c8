"""The ``roundtable`` format: a board meeting, one agenda item after another.

Per item: the chair opens it (one step), members speak one per step, chosen by relevance of the
item to them and by their role (the chair mostly moderates, the one just addressed tends to
answer, those not yet heard go first), then everyone votes at once (one step). Utterances are
posts replying to the item's root post, so the feed machinery (seen posts, counters, memory)
applies unchanged and votes are replies carrying a ``position``.

A meeting always ends with a decision: when the run has fewer steps than the full agenda needs
(``RoundtableConfig.steps``), ``meeting_schedule`` shortens the discussions, then drops the
chair's opening, so that the last step of every item reached is its vote.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.seeds import decision_seed
from simnet.llm.tokens import trim_to_tokens
from simulations.engine.actions import ActionResult, Ignore, Outcome, Reply, execute
from simulations.engine.feed_format import error_result
from simulations.engine.meeting import MeetingState, Phase, Utterance
from simulations.engine.parsing import MAX_REASON_CHARS, clean_str, normalise_action
from simulations.engine.persona import Persona
from simulations.engine.posts import Post, PostKind
from simulations.engine.prompts import situation_traits
from simulations.engine.schemas import MEETING_SCHEMA, MEETING_VOTE_SCHEMA
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.world import World

UTTERANCE_TOKENS = 45
SPEAK_MAX_CHARS = 600
NOT_YET_HEARD = 0.5
PER_TURN_SPOKEN = -0.25
ADDRESSED = 0.6
CHAIR_RESTRAINT = -0.3
JITTER = 0.15
AGENDA_HANDLE = "agenda"

MEETING_RULES = (
    "Rules: stay in character; speak as this person would, in under 60 words. Build on or challenge what others "
    "said and put whom you answer as target (@handle). pass if you have nothing new. Whenever you speak or vote "
    "give your current position: for, against or abstain. Answer with one JSON object with keys action (speak "
    "pass vote) target text position reason (a few words)."
)
INSTRUCTIONS = {
    "open": "You chair: open this item in two or three sentences and invite views.",
    "speak": "Your turn to speak.",
    "vote": "Vote now: position for, against or abstain, and one sentence why.",
}
REPAIR_NOTE = "Answer again with one JSON object: action, target, text, position, reason."
MEETING_SYNONYMS: Mapping[str, str] = {
    "reply": "speak", "post": "speak", "quote": "speak", "comment": "speak", "say": "speak", "open": "speak",
    "talk": "speak", "ignore": "pass", "skip": "pass", "none": "pass", "nothing": "pass",
}  # fmt: skip
POSITION_SYNONYMS: Mapping[str, str] = {
    "for": "for", "yes": "for", "support": "for", "approve": "for", "in favour": "for", "in favor": "for",
    "against": "against", "no": "against", "oppose": "against", "reject": "against",
    "abstain": "abstain", "neutral": "abstain", "undecided": "abstain",
}  # fmt: skip


def chair_of(world: World) -> str:
    """The configured chair, else the first persona marked as chair, else the first persona."""
    configured = world.config.roundtable.chair_id
    if configured is not None:
        if configured not in world.personas:
            raise ValueError(f"chair {configured} is not in the panel")
        return configured
    chairs = [p.id for p in world.personas.values() if p.is_chair]
    return chairs[0] if chairs else next(iter(world.personas))


@dataclass(frozen=True)
class ItemPlan:
    """How one agenda item runs: the chair's opening (or not), speaking turns, then the vote."""

    opening: bool
    discussion: int

    @property
    def steps(self) -> int:
        return int(self.opening) + self.discussion + 1


def meeting_schedule(items: int, steps: int, discussion: int) -> tuple[ItemPlan, ...]:
    """The plan of each agenda item the meeting reaches within ``steps`` (0: no limit).

    The steps are shared evenly (earlier items get the remainder); an item's share pays for its
    vote first, then the chair's opening, then as many speaking turns as are left (at most
    ``discussion``). Items beyond the steps (fewer steps than items) are not reached."""
    full = ItemPlan(opening=True, discussion=discussion)
    if steps <= 0 or steps >= items * full.steps:
        return (full,) * items
    shares = [steps // items + (1 if index < steps % items else 0) for index in range(items)]
    return tuple(
        ItemPlan(opening=share >= 2, discussion=max(0, min(discussion, share - 2)))
        for share in shares
        if share
    )


def item_plan(world: World, item: int) -> ItemPlan | None:
    """The plan of agenda item ``item``; None when the run's steps do not reach it."""
    config = world.config.roundtable
    schedule = meeting_schedule(len(config.agenda), config.steps, discussion_turns(world))
    return schedule[item] if item < len(schedule) else None


def start_meeting(world: World) -> None:
    if not world.config.roundtable.agenda:
        raise ValueError("a roundtable needs at least one agenda item")
    if len(world.personas) < 2:
        raise ValueError("a roundtable needs at least two members")
    world.meeting = MeetingState(chair_id=chair_of(world))
    open_item(world, world.meeting, 0)


def open_item(world: World, meeting: MeetingState, item: int) -> Post:
    """Publish agenda item ``item`` as the root post every utterance on it hangs from."""
    text = world.config.roundtable.agenda[item]
    author = world.outside_account(AGENDA_HANDLE)
    post = world.add_post(author, PostKind.POST, f"Agenda item {item + 1}: {text}", world.next_step)
    meeting.agenda_post_ids.append(post.id)
    meeting.item = item
    meeting.phase = Phase.OPEN
    meeting.turns_in_item = 0
    meeting.spoken = {}
    meeting.last_speaker = None
    meeting.addressed = None
    plan = item_plan(world, item)
    if plan is not None and not plan.opening:
        meeting.phase = Phase.DISCUSS if plan.discussion else Phase.VOTE
    return post


def discussion_turns(world: World) -> int:
    configured = world.config.roundtable.discussion_turns
    return configured if configured > 0 else len(world.personas) - 1 + 3


def _meeting(world: World) -> MeetingState:
    if world.meeting is None:
        raise ValueError("this world is not a roundtable (WorldConfig.format is 'feed')")
    return world.meeting


class RoundtableFormat:
    name = "roundtable"
    repair_note = REPAIR_NOTE

    def setup(self, world: World) -> None:
        start_meeting(world)

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]:
        meeting = _meeting(world)
        if meeting.phase is Phase.OPEN:
            return [self._turn(world, meeting, meeting.chair_id, "open", step)]
        if meeting.phase is Phase.DISCUSS:
            return [self._turn(world, meeting, choose_speaker(world, meeting, rng), "speak", step)]
        if meeting.phase is Phase.VOTE:
            return [self._turn(world, meeting, pid, "vote", step) for pid in world.personas]
        return []

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str:
        action = normalise_action(payload.get("action"), MEETING_SYNONYMS)
        reason = (clean_str(payload.get("reason")) or "")[:MAX_REASON_CHARS]
        text = clean_str(payload.get("text"))
        position = POSITION_SYNONYMS.get((clean_str(payload.get("position")) or "").lower())
        if turn.kind == "vote":  # the chair called the vote: a position is the answer, whatever the action
            if position is None:
                return "the vote is called: answer vote with a position, for, against or abstain"
            return Decision(
                "vote",
                text=(text or f"I vote {position}.")[:SPEAK_MAX_CHARS],
                reason=reason,
                position=position,
            )
        if action == "pass":
            return Decision("pass", reason=reason)
        if action not in ("speak", "vote"):
            return f"unknown action {payload.get('action')!r}; use speak, pass or vote"
        if not text:
            return "speak needs a text"
        target = clean_str(payload.get("target"))
        handle = target.lstrip("@") if target else None
        return Decision(
            "speak", target_handle=handle, text=text[:SPEAK_MAX_CHARS], reason=reason, position=position
        )

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult:
        meeting = _meeting(world)
        for post_id in turn.feed:
            world.posts[post_id].impressions += 1
            world.mark_seen(turn.agent_id, post_id)
        if answer.decision is None:
            return error_result(step, answer)
        decision = answer.decision
        if decision.action == "pass":
            return execute(world, turn.agent_id, Ignore(), step, reason=decision.reason, usage=answer.usage)
        agenda_post = meeting.agenda_post_ids[-1]
        target_post, answered = agenda_post, None
        if turn.kind == "speak":
            target_post, answered = _answered(world, meeting, turn, decision.target_handle)
        action = Reply(target_post, decision.text or "", decision.position if turn.kind == "vote" else None)
        result = execute(world, turn.agent_id, action, step, reason=decision.reason, usage=answer.usage)
        if result.ok and result.created_post_id:
            meeting.utterances.append(
                Utterance(
                    step=step,
                    item=meeting.item,
                    agent_id=turn.agent_id,
                    phase=turn.kind,
                    post_id=result.created_post_id,
                    replied_to_agent=answered,
                    position=action.position,
                    stance=None if turn.kind == "vote" else decision.position,
                    reason=decision.reason,
                    heard=_heard(world, turn),
                )
            )
        return result

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        """Advance the meeting after a step; returns the event payload describing the change."""
        meeting = _meeting(world)
        speakers = [r for r in results if r.outcome is not Outcome.ERROR]
        for result in speakers:
            meeting.spoken[result.agent_id] = meeting.spoken.get(result.agent_id, 0) + 1
        turns = _discussion_of(world, meeting.item)
        if meeting.phase is Phase.OPEN:
            meeting.last_speaker = meeting.chair_id
            meeting.phase = Phase.DISCUSS if turns > 0 else Phase.VOTE
        elif meeting.phase is Phase.DISCUSS:
            meeting.turns_in_item += 1
            last = results[-1] if results else None
            meeting.last_speaker = last.agent_id if last else None
            spoken = [u for u in meeting.utterances if last and u.post_id == last.created_post_id]
            meeting.addressed = spoken[0].replied_to_agent if spoken else None
            if meeting.turns_in_item >= turns:
                meeting.phase = Phase.VOTE
        elif meeting.phase is Phase.VOTE:
            if item_plan(world, meeting.item + 1) is not None:
                open_item(world, meeting, meeting.item + 1)
            else:
                meeting.phase = Phase.DONE
        return {"item": meeting.item, "phase": str(meeting.phase)}

    def _turn(self, world: World, meeting: MeetingState, agent_id: str, kind: str, step: int) -> AgentTurn:
        feed = visible_posts(world, meeting)
        return AgentTurn(
            agent_id, meeting_request(world, meeting, agent_id, kind, step, feed), self.name, kind, feed
        )


def _discussion_of(world: World, item: int) -> int:
    plan = item_plan(world, item)
    return plan.discussion if plan is not None else 0


def _heard(world: World, turn: AgentTurn) -> tuple[str, ...]:
    """The members whose utterances this turn showed, in order, each once (the agenda excluded)."""
    authors = (world.posts[post_id].author_id for post_id in turn.feed[1:])
    return tuple(dict.fromkeys(a for a in authors if a != turn.agent_id and a in world.personas))


def choose_speaker(world: World, meeting: MeetingState, rng: random.Random) -> str:
    """The member with the best claim to speak next (relevance, role, who was addressed, jitter)."""
    agenda = world.posts[meeting.agenda_post_ids[-1]]
    best, best_score = "", float("-inf")
    for pid in world.personas:
        jitter = rng.random() * JITTER  # drawn for every member, so the RNG advances the same way
        if pid == meeting.last_speaker:
            continue
        spoken = meeting.spoken.get(pid, 0)
        score = world.relevance(pid, agenda) + jitter + PER_TURN_SPOKEN * spoken
        score += NOT_YET_HEARD if spoken == 0 else 0.0
        score += ADDRESSED if pid == meeting.addressed else 0.0
        score += CHAIR_RESTRAINT if pid == meeting.chair_id else 0.0
        if score > best_score:
            best, best_score = pid, score
    return best


def visible_posts(world: World, meeting: MeetingState) -> tuple[str, ...]:
    """The item's root post and its latest utterances, oldest first."""
    recent = [u.post_id for u in meeting.utterances if u.item == meeting.item]
    return (meeting.agenda_post_ids[-1], *recent[-world.config.roundtable.context_utterances :])


def _answered(
    world: World, meeting: MeetingState, turn: AgentTurn, handle: str | None
) -> tuple[str, str | None]:
    """The post a speaker answers: the named member's latest visible utterance, else the latest
    utterance by someone else, else the agenda item."""
    others = [world.posts[pid] for pid in turn.feed[1:] if world.posts[pid].author_id != turn.agent_id]
    named = world.agent_for_handle(handle) if handle else None
    for post in reversed(others):
        if named is None or post.author_id == named:
            return post.id, post.author_id
    return turn.feed[0], None


def meeting_prefix_text(persona: Persona) -> str:
    role = f", {persona.role}" if persona.role else ""
    return f"You are {persona.name} (@{persona.handle}){role}, in a board meeting.\n{persona.card}\n{MEETING_RULES}"


def meeting_prefix(world: World, persona: Persona) -> str:
    prefix = world.prefixes.get(persona.id)
    if prefix is None:
        prefix = world.prefixes[persona.id] = meeting_prefix_text(persona)
    return prefix


def meeting_request(
    world: World, meeting: MeetingState, agent_id: str, kind: str, step: int, feed: tuple[str, ...]
) -> LLMRequest:
    persona = world.personas[agent_id]
    agenda = world.config.roundtable.agenda
    lines = [
        f"Step {step}, {world.clock.label(step)}.",
        f"Agenda item {meeting.item + 1} of {len(agenda)}: {agenda[meeting.item]}",
    ]
    material = next((p for p in reversed(world.posts.values()) if p.is_stimulus), None)
    if material is not None:
        lines.append(
            f"Material from @{world.handle_of(material.author_id)}: {trim_to_tokens(material.text, 80)}"
        )
    memory = world.agents[agent_id].memory.render()
    if memory:
        lines.append(f"Memory: {memory}")
    spoken = [world.posts[pid] for pid in feed[1:]]
    if spoken:
        lines.append("So far:")
        lines += [
            f"@{world.handle_of(p.author_id)}: {trim_to_tokens(p.text, UTTERANCE_TOKENS)}" for p in spoken
        ]
    addressed = " You were addressed." if kind == "speak" and meeting.addressed == agent_id else ""
    lines.append(INSTRUCTIONS[kind] + addressed)
    items = tuple(
        FeedItem(
            p.id,
            p.author_id,
            world.handle_of(p.author_id),
            p.text,
            str(p.kind),
            relevance=round(world.relevance(agent_id, p), 3),
        )
        for p in (world.posts[pid] for pid in feed)
    )
    return LLMRequest(
        key=agent_id,
        system=meeting_prefix(world, persona),
        user="\n".join(lines),
        schema=MEETING_VOTE_SCHEMA if kind == "vote" else MEETING_SCHEMA,
        max_tokens=world.config.max_output_tokens,
        seed=decision_seed(world.config.seed, agent_id, step),
        temperature=world.config.temperature,
        situation=Situation(
            agent_id, step, items, dict(persona.propensities), situation_traits(persona), "roundtable"
        ),
    )
