"""Virtual board: parsing pasted bios (with readable errors), the default board, member cards."""

from __future__ import annotations

import pytest

from personas.builders.boards import BioParseError, BoardMember, board_card, default_board, parse_bios
from simnet.llm.tokens import count_tokens

BIOS = """
Margaret Chen — Chair and CEO
Founded the company in 2012.
Ran product for six years.
Priorities: growth; focus, clarity; a decision today
Objections: endless analysis
Style: brisk and warm

David Okafor, CFO
Priorities: runway, margins
Speaking style: numbers first.

Elena Rossi – Independent director
Chair: no

Tom Becker - Investor
"""


def test_parse_bios_reads_every_supported_form():
    members = parse_bios(BIOS)
    assert [m.name for m in members] == ["Margaret Chen", "David Okafor", "Elena Rossi", "Tom Becker"]
    assert [m.role for m in members] == ["Chair and CEO", "CFO", "Independent director", "Investor"]
    chen, okafor, rossi, becker = members
    assert chen == BoardMember(
        name="Margaret Chen",
        role="Chair and CEO",
        background="Founded the company in 2012. Ran product for six years.",
        priorities=("growth", "focus, clarity", "a decision today"),  # ";" wins over ","
        objections=("endless analysis",),
        speaking_style="brisk and warm",
        is_chair=True,  # "Chair" in the role
    )
    assert okafor.priorities == ("runway", "margins") and okafor.speaking_style == "numbers first."
    assert not rossi.is_chair and not becker.is_chair
    assert parse_bios("Ann Lee, Vice Chair\n\nBo Li, Director\nChair: yes")[1].is_chair
    assert not parse_bios("Ann Lee, Vice Chair")[0].is_chair


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no bios found"),
        ("Ann Lee — CFO\n\nJust a name", 'block 2 \\("Just a name"\\): the first line must be'),
        ("Ann Lee — CFO\nPriorities:", 'block 1 .*"Priorities:" has nothing after it'),
        ("Priorities: cash, Ann", "block 1 .*starts with a field"),
        ("Ann Lee —  \n", "block 1"),
        (", CFO", "both a name and a role"),
        ("Ann Lee, CFO\n\nann lee, CTO", "block 2: ann lee already appears in block 1"),
        (
            "Ann, Chair\n\nBo, Chairwoman",
            "only one chair per board; found block 1 \\(Ann\\), block 2 \\(Bo\\)",
        ),
    ],
)
def test_parse_errors_name_the_block(text, message):
    with pytest.raises(BioParseError, match=message):
        parse_bios(text)


def test_default_board_has_seven_distinct_members_and_one_chair():
    board = default_board()
    assert len(board) == 7
    assert sum(m.is_chair for m in board) == 1 and board[0].is_chair
    roles = " | ".join(m.role for m in board)
    expected_roles = ("CEO", "Chief Financial Officer", "Independent Director", "Investor",
                      "Chief Technology Officer", "General Counsel", "Customer Advocate")  # fmt: skip
    for role in expected_roles:
        assert role in roles
    assert len({m.name for m in board}) == 7
    priorities = [p for m in board for p in m.priorities]
    objections = [o for m in board for o in m.objections]
    assert len(set(priorities)) == len(priorities) and len(set(objections)) == len(objections)
    assert all(m.priorities and m.objections and m.speaking_style and m.background for m in board)


@pytest.mark.parametrize("budget", [1, 10, 40, 500])
def test_board_cards_fit_the_budget(budget):
    for member in default_board():
        card = board_card(member, budget_tokens=budget)
        assert card.tokens == count_tokens(card.text) <= budget


def test_board_card_content():
    chair, cfo = default_board()[:2]
    chair_card = board_card(chair).text
    assert chair_card.startswith("You are Margaret Chen, Chair and CEO on the board. You chair the meeting")
    assert "Your priorities: long-term growth" in chair_card
    assert "You object to:" in chair_card and "How you speak:" in chair_card
    assert "You chair" not in board_card(cfo).text
    long_member = BoardMember("X", "Y", background="word " * 5_000, priorities=("p",) * 2_000)
    assert board_card(long_member, budget_tokens=200).tokens <= 200
