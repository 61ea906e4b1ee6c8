"""Virtual boards: members parsed from pasted bios, a ready default board, and their cards.

Pasted bios are blocks separated by blank lines. A block starts with ``Name — Role`` (em or
en dash, or a spaced hyphen) or ``Name, Role``; the lines ``Priorities:``, ``Objections:``,
``Style:`` (or ``Speaking style:``) and ``Chair: yes`` are recognised; any other line is
background. Errors name the block (number and first line) so a person can fix the paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from personas.builders.cards import CardSection, PersonaCard, assemble_card

_HEADER_DASH = re.compile(r"^(?P<name>.+?)\s+[—–-]\s+(?P<role>.+)$|^(?P<name2>.+?)\s*[—–]\s*(?P<role2>.+)$")
_FIELD = re.compile(
    r"^(?P<label>priorities|objections|style|speaking style|chair)\s*:\s*(?P<value>.*)$", re.IGNORECASE
)
_CHAIR_ROLE = re.compile(r"(?<!vice[ -])\bchair(?:man|woman|person)?\b", re.IGNORECASE)
_YES = {"yes", "y", "true", "1"}


class BioParseError(ValueError):
    """A pasted bio block could not be read; the message names the block."""


@dataclass(frozen=True)
class BoardMember:
    name: str
    role: str
    background: str = ""
    priorities: tuple[str, ...] = ()
    objections: tuple[str, ...] = ()
    speaking_style: str = ""
    is_chair: bool = False


def _split_list(value: str) -> tuple[str, ...]:
    """Items separated by ";" (or by "," when there is no ";")."""
    separator = ";" if ";" in value else ","
    return tuple(item.strip().rstrip(".") for item in value.split(separator) if item.strip())


def _header(line: str, block_label: str) -> tuple[str, str]:
    if _FIELD.match(line):
        raise BioParseError(f'{block_label}: starts with a field; the first line must be "Name — Role"')
    match = _HEADER_DASH.match(line)
    if match:
        name = match.group("name") or match.group("name2")
        role = match.group("role") or match.group("role2")
    elif "," in line:
        name, role = line.split(",", 1)
    else:
        raise BioParseError(f'{block_label}: the first line must be "Name — Role" or "Name, Role"')
    name, role = name.strip(), role.strip()
    if not name or not role:
        raise BioParseError(f"{block_label}: both a name and a role are needed on the first line")
    return name, role


def _member(lines: list[str], block_label: str) -> BoardMember:
    name, role = _header(lines[0], block_label)
    background: list[str] = []
    priorities: tuple[str, ...] = ()
    objections: tuple[str, ...] = ()
    style = ""
    chair = bool(_CHAIR_ROLE.search(role))
    for line in lines[1:]:
        field = _FIELD.match(line)
        if not field:
            background.append(line)
            continue
        label, value = field.group("label").lower(), field.group("value").strip()
        if not value:
            raise BioParseError(f'{block_label}: "{field.group("label")}:" has nothing after it')
        if label == "priorities":
            priorities = _split_list(value)
        elif label == "objections":
            objections = _split_list(value)
        elif label == "chair":
            chair = value.lower() in _YES
        else:
            style = value
    return BoardMember(name, role, " ".join(background), priorities, objections, style, chair)


def parse_bios(text: str) -> list[BoardMember]:
    """Board members from pasted bios (see the module docstring for the format)."""
    blocks = [
        [line.strip() for line in block.splitlines() if line.strip()] for block in re.split(r"\n\s*\n", text)
    ]
    blocks = [b for b in blocks if b]
    if not blocks:
        raise BioParseError("no bios found: paste one block per member, separated by blank lines")
    members = []
    for number, lines in enumerate(blocks, start=1):
        members.append(_member(lines, f'block {number} ("{lines[0][:60]}")'))
    seen: dict[str, int] = {}
    for number, member in enumerate(members, start=1):
        key = member.name.lower()
        if key in seen:
            raise BioParseError(f"block {number}: {member.name} already appears in block {seen[key]}")
        seen[key] = number
    chairs = [f"block {i} ({m.name})" for i, m in enumerate(members, start=1) if m.is_chair]
    if len(chairs) > 1:
        raise BioParseError(f"only one chair per board; found {', '.join(chairs)}")
    return members


def default_board() -> list[BoardMember]:
    """A ready seven-person board with distinct priorities and objections."""
    return [
        BoardMember(
            "Margaret Chen", "Chair and CEO",
            "Founded the company 12 years ago; ran product before becoming CEO.",
            ("long-term growth", "keeping the team aligned", "reaching a decision today"),
            ("proposals that distract from the core product", "analysis that never ends in a decision"),
            "Warm but brisk; summarises, gives the floor, and closes each item with a decision.",
            is_chair=True,
        ),
        BoardMember(
            "David Okafor", "Chief Financial Officer",
            "Former investment banker; has run finance through two funding rounds.",
            ("cash runway", "unit economics", "predictable revenue"),
            ("spending without a payback estimate", "optimistic forecasts", "dilution"),
            "Precise and numbers-first; asks for the figure behind every claim.",
        ),
        BoardMember(
            "Elena Rossi", "Independent Director",
            "Served on four public-company boards; chairs the audit committee.",
            ("governance", "reputation", "protecting minority shareholders"),
            ("conflicts of interest", "decisions made without enough information", "reputational risk"),
            "Measured and formal; raises process questions and asks for minutes to record dissent.",
        ),
        BoardMember(
            "Tom Becker", "Investor (lead Series B)",
            "Partner at a growth fund holding 18% of the company.",
            ("fast growth", "market share", "a path to an exit in five years"),
            ("slow, cautious plans", "small bets", "anything that delays the next round"),
            "Direct and impatient; compares everything with the best companies in his portfolio.",
        ),
        BoardMember(
            "Priya Nair", "Chief Technology Officer",
            "Built the platform from the first line of code; leads 60 engineers.",
            ("technical quality", "security", "realistic delivery dates"),
            ("promises sales made before engineering was asked", "technical debt", "vendor lock-in"),
            "Calm and concrete; explains trade-offs with examples, pushes back on vague scope.",
        ),
        BoardMember(
            "James Whitfield", "General Counsel",
            "Twenty years in corporate and regulatory law, the last five at the company.",
            ("legal compliance", "data protection", "contract risk"),
            ("unvetted claims in marketing", "regulatory exposure", "personal data used without consent"),
            "Careful and qualified; cites the rule at stake and proposes safer wording.",
        ),
        BoardMember(
            "Rosa Delgado", "Customer Advocate",
            "Ran customer success; now speaks for the customer council.",
            ("customer trust", "ease of use", "fair pricing"),
            ("price rises without added value", "features nobody asked for", "breaking existing workflows"),
            "Plain-spoken; tells stories about real customers and asks how they will feel.",
        ),
    ]  # fmt: skip


def board_card(member: BoardMember, *, budget_tokens: int = 500) -> PersonaCard:
    """The prompt card of a board member, within ``budget_tokens``."""
    chair = (
        " You chair the meeting: open each agenda item, give others the floor, keep time"
        " and close with a decision."
        if member.is_chair
        else ""
    )
    sections = [
        CardSection("", f"You are {member.name}, {member.role} on the board.{chair}", 0.2),
        CardSection("Background", member.background, 0.2),
        CardSection("Your priorities", "; ".join(member.priorities), 0.15),
        CardSection("You object to", "; ".join(member.objections), 0.15),
        CardSection("How you speak", member.speaking_style, 0.15),
    ]
    return assemble_card(sections, budget_tokens)
