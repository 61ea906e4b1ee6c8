"""The meeting report from hand-made records: tallies, credit for changes of mind, honest gaps."""

from __future__ import annotations

from simulations.analysis.meeting_records import MeetingRecords, MemberRecord, UtteranceRecord
from simulations.analysis.meeting_report import NOT_ENOUGH_DATA, build_meeting_report

MEMBERS = (
    MemberRecord("c", "chair", "Chair", True),
    MemberRecord("a", "ana", "CFO", False),
    MemberRecord("b", "ben", "CTO", False),
)
AGENDA = ("Approve the budget.", "Open an office in Berlin.")


def said(step, member, phase, position=None, replied_to=None, heard=(), text="", item=0, reason=""):
    return UtteranceRecord(
        step, item, member, phase, text or f"{member} at {step}", position, reason, replied_to, heard
    )


def records(utterances, *, opened=1, closed=False, agenda=AGENDA[:1]):
    return MeetingRecords(agenda, MEMBERS, tuple(utterances), opened, closed)


def test_a_member_who_answered_someone_and_changed_sides_is_credited_to_them() -> None:
    report = build_meeting_report(
        records(
            [
                said(0, "c", "open", "for"),
                said(1, "a", "speak", "against", replied_to="c"),
                said(2, "b", "speak", "for", replied_to="a", heard=("c", "a")),
                said(3, "a", "speak", "against", replied_to="b", heard=("b",)),
                said(4, "c", "vote", "for", text="The numbers add up."),
                said(4, "a", "vote", "for", heard=("b",), text="Ben convinced me."),
                said(4, "b", "vote", "for", text="I vote for.", reason="growth"),
            ],
            closed=True,
        )
    )
    [item] = report.items
    assert item.outcome == "carried" and item.tally == {"for": 3, "against": 0, "abstain": 0}
    assert [(m.handle, m.before, m.after, m.movers, m.basis) for m in item.moves] == [
        ("ana", "against", "for", ("ben",), "answered")
    ]
    assert report.influence == {"ben": 1}
    assert [(line.handle, line.step) for line in item.key_points] == [("chair", 0), ("ana", 3), ("ben", 2)]
    rows = {row.handle: (row.start, row.end, row.changed) for row in item.positions}
    assert rows == {
        "chair": ("for", "for", False),
        "ana": ("against", "for", True),
        "ben": ("for", "for", False),
    }
    assert {v.handle: v.rationale for v in item.votes}[
        "ben"
    ] == "growth"  # boilerplate gives way to the reason
    assert item.moves_note == "1 of 3 members changed position during the discussion."
    assert report.notes == ()


def test_a_change_with_nobody_answered_goes_to_those_heard_arguing_the_new_side() -> None:
    report = build_meeting_report(
        records(
            [
                said(0, "c", "open", "against"),
                said(1, "a", "speak", "for"),
                said(2, "b", "speak", "against"),
                said(3, "a", "vote", "against", heard=("c", "b")),
                said(3, "b", "vote", "for", heard=("c", "a")),
                said(3, "c", "vote", "abstain", heard=("a", "b")),
            ],
            closed=True,
        )
    )
    moves = {m.handle: (m.movers, m.basis) for m in report.items[0].moves}
    assert moves["ana"] == (("chair", "ben"), "heard")
    assert moves["ben"] == (("ana",), "heard")
    assert moves["chair"] == ((), "unattributed")  # nobody had argued for abstaining
    assert report.items[0].outcome == "tied"
    assert report.items[0].action_items[0].text.startswith("No majority")


def test_too_few_stated_positions_is_not_enough_data() -> None:
    report = build_meeting_report(
        records(
            [said(0, "c", "open"), said(1, "a", "vote", "for"), said(1, "b", "vote", "against")], closed=True
        )
    )
    [item] = report.items
    assert item.moves_note.startswith(NOT_ENOUGH_DATA) and item.moves == ()
    assert [row.start for row in item.positions] == [None, None, None]


def test_a_run_stopped_before_the_vote_says_no_vote_happened() -> None:
    report = build_meeting_report(records([said(0, "c", "open", "for")], opened=1, closed=False))
    [item] = report.items
    assert not item.voted and item.outcome == "no vote" and item.votes == ()
    assert report.notes == ("No vote on item 1: the run stopped before the vote.",)
    assert "next meeting" in item.action_items[0].text


def test_items_the_steps_did_not_reach_are_named() -> None:
    utterances = [said(0, "a", "vote", "for"), said(0, "b", "vote", "for")]
    finished = build_meeting_report(records(utterances, opened=1, closed=True, agenda=AGENDA))
    assert [item.outcome for item in finished.items] == ["carried", "not reached"]
    assert finished.notes == ("No vote on item 2: the run had too few steps for every item.",)
    running = build_meeting_report(records(utterances, opened=1, agenda=AGENDA), in_progress=True)
    assert running.notes == ("The meeting is still going: item 2 not voted on yet.",)


def test_the_report_is_plain_json() -> None:
    data = build_meeting_report(
        records([said(0, "a", "vote", "against", text="Too costly.")], closed=True)
    ).to_dict()
    assert data["items"][0]["votes"] == [
        {"handle": "ana", "role": "CFO", "position": "against", "rationale": "Too costly."}
    ]
    assert data["items"][0]["headline"] == "Rejected: 0 for, 1 against, 0 abstaining."


def test_a_vote_where_everyone_abstained_was_held_and_carried_nothing() -> None:
    report = build_meeting_report(
        records([said(0, "c", "open"), *(said(1, m, "vote", "abstain") for m in "cab")], closed=True)
    )
    [item] = report.items
    assert item.voted and item.outcome == "all abstained" and item.tally["abstain"] == 3
    assert item.headline == "Not carried: every member who voted abstained (3)."
    assert item.action_items[0].text.startswith("No majority")
