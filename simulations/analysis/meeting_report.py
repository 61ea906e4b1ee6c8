"""The report of a roundtable: minutes, the vote and its reasons, action items, who moved whom.

A board rehearsal asks different questions from a feed: what was decided and by how much, why
each member voted as they did, what must happen next, and whether the discussion changed
anyone's mind. Everything here comes from the meeting's records (``meeting_records``), with
no model call, so the same run always gives the same report.

A member's start position is the first one they stated before the vote, their end position is
their vote. A change of position is credited to the members they answered from the moment they
stated their previous position until they changed it, else to the members they had just heard
argue the side they moved to; when neither exists the change stays unattributed, not guessed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.meeting_records import MeetingRecords, MemberRecord, UtteranceRecord

POSITIONS = ("for", "against", "abstain")
NOT_ENOUGH_DATA = "not enough data"
MIN_TRACKED_MEMBERS = 2  # members with a position before the vote needed to read changes of mind
QUOTE_CHARS = 240


@dataclass(frozen=True)
class Line:
    step: int
    handle: str
    role: str
    phase: str
    text: str
    position: str | None
    replied_to: str | None  # handle


@dataclass(frozen=True)
class Vote:
    handle: str
    role: str
    position: str
    rationale: str


@dataclass(frozen=True)
class PositionRow:
    handle: str
    role: str
    start: str | None  # first position stated before the vote
    end: str | None  # the vote
    changed: bool


@dataclass(frozen=True)
class Move:
    handle: str
    step: int
    before: str
    after: str
    movers: tuple[str, ...]  # handles
    basis: str  # answered | heard | unattributed


@dataclass(frozen=True)
class ActionItem:
    owner: str  # handle; the chair, who answers for the board's follow-up
    text: str


@dataclass(frozen=True)
class ItemReport:
    number: int
    agenda: str
    reached: bool
    voted: bool
    outcome: str  # carried | rejected | tied | all abstained | no vote | not reached
    tally: dict[str, int]
    headline: str
    votes: tuple[Vote, ...]
    not_voting: tuple[str, ...]
    key_points: tuple[Line, ...]  # each member's last argument on the item
    transcript: tuple[Line, ...]
    positions: tuple[PositionRow, ...]
    moves: tuple[Move, ...]
    moves_note: str
    action_items: tuple[ActionItem, ...]


@dataclass(frozen=True)
class MeetingReport:
    chair: str
    closed: bool
    items: tuple[ItemReport, ...]
    influence: dict[str, int]  # handle -> members whose change of position they are credited with
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = to_jsonable(self)
        assert isinstance(data, dict)  # a dataclass always becomes a mapping
        return data


def build_meeting_report(records: MeetingRecords, *, in_progress: bool = False) -> MeetingReport:
    """The meeting's report; ``in_progress`` says the run is still going (an unvoted item may yet be)."""
    members = {m.member_id: m for m in records.members}
    items = tuple(
        _item_report(records, members, index, reached=index < records.items_opened)
        for index in range(len(records.agenda))
    )
    influence = Counter(mover for item in items for move in item.moves for mover in move.movers)
    chair = next((m.handle for m in records.members if m.is_chair), "")
    return MeetingReport(
        chair=chair,
        closed=records.closed,
        items=items,
        influence=dict(influence.most_common()),
        notes=_notes(records, items, in_progress),
    )


def _item_report(
    records: MeetingRecords, members: dict[str, MemberRecord], index: int, *, reached: bool
) -> ItemReport:
    said = [u for u in records.utterances if u.item == index]
    ballots = {u.member_id: u for u in said if u.phase == "vote" and u.position in POSITIONS}
    tally = {p: sum(1 for u in ballots.values() if u.position == p) for p in POSITIONS}
    outcome = _outcome(tally) if reached else "not reached"
    votes = tuple(
        Vote(members[pid].handle, members[pid].role, ballots[pid].position or "", _rationale(ballots[pid]))
        for pid in members
        if pid in ballots
    )
    positions = tuple(_position_row(members[pid], said) for pid in members)
    moves = tuple(move for pid in members for move in _moves(pid, said, members))
    tracked = sum(1 for row in positions if row.start is not None and row.end is not None)
    chair = next((m for m in members.values() if m.is_chair), next(iter(members.values())))
    return ItemReport(
        number=index + 1,
        agenda=records.agenda[index],
        reached=reached,
        voted=bool(ballots),
        outcome=outcome,
        tally=tally,
        headline=_headline(outcome, tally),
        votes=votes,
        not_voting=tuple(m.handle for pid, m in members.items() if pid not in ballots) if reached else (),
        key_points=_key_points(said, members),
        transcript=tuple(_line(u, members) for u in said),
        positions=positions,
        moves=moves,
        moves_note=_moves_note(tracked, moves),
        action_items=_action_items(records.agenda[index], outcome, votes, chair.handle),
    )


def _outcome(tally: dict[str, int]) -> str:
    if sum(tally.values()) == 0:
        return "no vote"
    if tally["for"] + tally["against"] == 0:
        return "all abstained"  # a vote was held: nobody took a side, so nothing was carried
    if tally["for"] == tally["against"]:
        return "tied"
    return "carried" if tally["for"] > tally["against"] else "rejected"


def _headline(outcome: str, tally: dict[str, int]) -> str:
    counts = f"{tally['for']} for, {tally['against']} against, {tally['abstain']} abstaining"
    return {
        "carried": f"Carried: {counts}.",
        "rejected": f"Rejected: {counts}.",
        "tied": f"Tied, so not carried: {counts}.",
        "all abstained": f"Not carried: every member who voted abstained ({tally['abstain']}).",
        "no vote": "No vote was taken on this item.",
        "not reached": "The meeting did not reach this item, so there was no vote.",
    }[outcome]


def _rationale(ballot: UtteranceRecord) -> str:
    """What the member said with their vote; their short reason when the statement is empty boilerplate."""
    text = ballot.text.strip()
    if text.lower().rstrip(".") == f"i vote {ballot.position}" and ballot.reason:
        return ballot.reason
    return text[:QUOTE_CHARS]


def _line(u: UtteranceRecord, members: dict[str, MemberRecord]) -> Line:
    member = members[u.member_id]
    replied = members[u.replied_to].handle if u.replied_to in members else None
    return Line(u.step, member.handle, member.role, u.phase, u.text, u.position, replied)


def _key_points(said: list[UtteranceRecord], members: dict[str, MemberRecord]) -> tuple[Line, ...]:
    """Each member's last argument before the vote (the vote's own words are in the vote table)."""
    last = {u.member_id: u for u in said if u.phase != "vote"}
    return tuple(_line(last[pid], members) for pid in members if pid in last)


def _position_row(member: MemberRecord, said: list[UtteranceRecord]) -> PositionRow:
    own = [u for u in said if u.member_id == member.member_id and u.position in POSITIONS]
    before = [u.position for u in own if u.phase != "vote"]
    vote = next((u.position for u in own if u.phase == "vote"), None)
    start = before[0] if before else None
    return PositionRow(
        member.handle, member.role, start, vote, start is not None and vote not in (None, start)
    )


def _moves(pid: str, said: list[UtteranceRecord], members: dict[str, MemberRecord]) -> list[Move]:
    """Each change of ``pid``'s stated position, credited as the module docstring says."""
    moves, previous, since = [], None, []
    for u in (u for u in said if u.member_id == pid):
        since.append(u)
        if u.position not in POSITIONS:
            continue
        if previous is not None and u.position != previous:
            movers, basis = _movers(u, since, said, members)
            moves.append(Move(members[pid].handle, u.step, previous, u.position, movers, basis))
        previous, since = u.position, [u]  # whom they answered while stating it may move them next
    return moves


def _movers(
    change: UtteranceRecord,
    since: list[UtteranceRecord],
    said: list[UtteranceRecord],
    members: dict[str, MemberRecord],
) -> tuple[tuple[str, ...], str]:
    answered = [u.replied_to for u in since if u.replied_to in members and u.replied_to != change.member_id]
    if answered:
        return tuple(members[m].handle for m in dict.fromkeys(answered)), "answered"
    stance = {}
    for u in said:
        if u.step >= change.step:
            break
        if u.position in POSITIONS:
            stance[u.member_id] = u.position
    heard = [m for m in change.heard if m in members and stance.get(m) == change.position]
    if heard:
        return tuple(members[m].handle for m in heard), "heard"
    return (), "unattributed"


def _moves_note(tracked: int, moves: tuple[Move, ...]) -> str:
    if tracked < MIN_TRACKED_MEMBERS:
        return (
            f"{NOT_ENOUGH_DATA}: only {tracked} member{'s' if tracked != 1 else ''} stated a position both "
            "before and at the vote, so changes of mind cannot be read."
        )
    if not moves:
        return f"Nobody changed position: the {tracked} members who stated one before the vote voted the same way."
    people = len({m.handle for m in moves})
    return f"{people} of {tracked} members changed position during the discussion."


def _action_items(agenda: str, outcome: str, votes: tuple[Vote, ...], chair: str) -> tuple[ActionItem, ...]:
    """What follows from the outcome: act, drop or bring back the item, and answer the dissent."""
    if outcome == "carried":
        items = [ActionItem(chair, f"Carry out the decision: {agenda}")]
        items += [
            ActionItem(chair, f"Answer @{v.handle}'s objection before acting: “{v.rationale}”")
            for v in votes
            if v.position == "against"
        ]
    elif outcome == "rejected":
        reasons = [v for v in votes if v.position == "against"]
        items = [ActionItem(chair, f"Do not proceed with: {agenda}")]
        items += [
            ActionItem(chair, f"Bring it back only with an answer to @{v.handle}: “{v.rationale}”")
            for v in reasons
        ]
    elif outcome in ("tied", "all abstained"):
        items = [ActionItem(chair, f"No majority: bring a revised proposal back to the board: {agenda}")]
    else:
        items = [ActionItem(chair, f"Put it on the next meeting's agenda, it was not decided: {agenda}")]
    items += [
        ActionItem(chair, f"Follow up with @{v.handle}, who abstained: “{v.rationale}”")
        for v in votes
        if v.position == "abstain"
    ]
    return tuple(items)


def _notes(records: MeetingRecords, items: tuple[ItemReport, ...], in_progress: bool) -> tuple[str, ...]:
    """Honest words on what the report cannot show: votes that did not happen, and why."""
    unvoted = [item for item in items if not item.voted]
    if not unvoted:
        return ()
    if in_progress and not records.closed:
        return (f"The meeting is still going: {_numbers(unvoted)} not voted on yet.",)
    not_reached = [item for item in unvoted if not item.reached]
    silent = [item for item in unvoted if item.reached]
    notes = []
    if not_reached:
        why = (
            "the run had too few steps for every item"
            if records.closed
            else "the run stopped before the meeting ended"
        )
        notes.append(f"No vote on {_numbers(not_reached)}: {why}.")
    if silent and records.closed:
        notes.append(
            f"Nobody cast a vote on {_numbers(silent)}: every member passed or gave no usable answer."
        )
    elif silent:
        notes.append(f"No vote on {_numbers(silent)}: the run stopped before the vote.")
    return tuple(notes)


def _numbers(items: list[ItemReport]) -> str:
    numbers = ", ".join(str(item.number) for item in items)
    return f"item{'s' if len(items) > 1 else ''} {numbers}"
