"""Synthetic panels (writes): a population sampled from survey microdata, and a virtual board.

The pure work (drawing respondents to quotas, voices, cards, the follow graph, parsing bios)
lives in ``sampling``, ``graphs`` and ``boards``; this module validates what a person typed,
turns it into their arguments and stores the result in one transaction. A population of up to
100,000 is drawn outside any transaction (telling ``progress`` how far it is) and written at the
end in one, in bulk: it appears whole or not at all. From the pages and the API it runs as a
background job (``population_jobs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from django.db import transaction

from personas.builders.boards import BioParseError, BoardMember, board_card, default_board, parse_bios
from personas.builders.graphs import synthetic_follow_graph
from personas.builders.persona_traits import describe_traits
from personas.builders.population_data import (
    DEFAULT_SOURCE,
    SourceUnavailable,
    available_sources,
    load_source,
)
from personas.builders.sampling import (
    SampledPersona,
    SamplingError,
    sample_population,
    sampled_card,
    source_fields,
)
from personas.builders.sampling import resolve_quotas as target_shares
from personas.models import FollowEdge, Panel, PanelMember, Persona
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError

MAX_POPULATION = 100_000
INSERT_BATCH = 2000  # rows per INSERT
Progress = Callable[[str, int], None]  # (phase in words, personas done in that phase)
MAX_BOARD = 25
DEFAULT_AVG_FOLLOWING = 20.0
DEFAULT_HOMOPHILY = 0.7
BIO_TRAITS = ("gender", "age", "party", "ideology", "lives in")  # labels of ``describe_traits``


def _source(source: str) -> str:
    if source not in available_sources():
        raise ApplicationError(
            f"Unknown population source {source!r}; available: {', '.join(available_sources())}.",
            fields={"source": ["Choose an available source."]},
        )
    return source


def _category(field: str, categories: Sequence[str], text: str) -> str:
    """A category named exactly, case-insensitively, or by a unique prefix ("dem" for "Democrat")."""
    wanted = text.strip().casefold()
    exact = [c for c in categories if c.casefold() == wanted]
    matches = exact or [c for c in categories if c.casefold().startswith(wanted)]
    if len(matches) != 1:
        problem = "matches several" if matches else "matches none"
        raise ApplicationError(
            f"{field}: {text.strip()!r} {problem} of the categories ({', '.join(categories)}).",
            fields={"quotas": [f"Unknown {field} category {text.strip()!r}."]},
        )
    return matches[0]


def resolve_quotas(source: str, quotas: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Quotas in percent keyed by the source's exact field and category names; empty fields dropped."""
    fields = source_fields(_source(source))
    resolved: dict[str, dict[str, float]] = {}
    for field, shares in quotas.items():
        if field not in fields:
            raise ApplicationError(
                f"The source has no field {field!r}; fields: {', '.join(fields)}.",
                fields={"quotas": [f"Unknown field {field!r}."]},
            )
        given = {_category(field, fields[field], name): float(value) for name, value in shares.items()}
        if given:
            resolved[field] = given
    return resolved


_QUOTA = re.compile(r"^\s*(?P<field>[\w ]+?)\s*=\s*(?P<shares>.+)$")


def parse_quota_text(text: str) -> tuple[str, dict[str, float]]:
    """``party=dem:40,rep:40,ind:20`` to ``("party", {"dem": 40.0, ...})`` (resolved later)."""
    match = _QUOTA.match(text)
    if not match:
        raise ApplicationError(f"Write a quota as field=category:percent,...; got {text!r}.")
    shares: dict[str, float] = {}
    for part in match["shares"].split(","):
        name, _, value = part.rpartition(":")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise ApplicationError(f"{part.strip()!r} in {text!r} is not category:percent.") from None
    return match["field"].strip(), shares


def _sampled_persona(organization, person: SampledPersona, seed: int) -> Persona:
    card = sampled_card(person)
    described = describe_traits(person.traits)  # the card's labels: state (tv16) or community (anes96)
    return Persona(
        organization=organization,
        handle=person.handle,
        display_name=person.name,
        bio=" · ".join(str(described[k]) for k in BIO_TRAITS if described.get(k) not in (None, "")),
        origin=Persona.Origin.SAMPLED,
        sampler={
            "source": person.source,
            "respondent": person.respondent_id,
            "seed": seed,
            "voice": person.voice,
            "actions_per_day": person.actions_per_day,
            "explain": person.explain,
        },
        traits=person.traits,
        propensities=person.propensities,
        activity_rate=person.activity_rate,
        active_hours=list(person.active_hours),
        interests=", ".join(person.interests),
        card=card.text,
        card_tokens=card.tokens,
    )


def check_population(
    *,
    n: int,
    seed: int,
    source: str,
    quotas: Mapping[str, Mapping[str, float]] | None,
    avg_following: float,
    homophily: float,
) -> dict[str, dict[str, float]]:
    """ApplicationError for arguments a population cannot be drawn with; else the resolved quotas."""
    if not 1 <= n <= MAX_POPULATION:
        raise ApplicationError(
            f"Sample between 1 and {MAX_POPULATION:,} personas.", fields={"n": ["Out of range."]}
        )
    if not 0 <= homophily <= 1:
        raise ApplicationError(
            "Homophily is a share between 0 and 1.", fields={"homophily": ["Out of range."]}
        )
    if seed < 0:
        raise ApplicationError("The seed cannot be negative.", fields={"seed": ["Use 0 or more."]})
    if avg_following < 0:
        raise ApplicationError(
            "Average following cannot be negative.", fields={"avg_following": ["Out of range."]}
        )
    resolved = resolve_quotas(source, quotas or {})
    try:
        target_shares(load_source(source), resolved)  # shares that add up, before any job is queued
    except (SamplingError, SourceUnavailable) as exc:
        raise ApplicationError(f"The quotas cannot be met: {exc}.", fields={"quotas": [str(exc)]}) from None
    return resolved


def panel_create_population(
    *,
    organization,
    actor: Actor | None,
    n: int,
    seed: int,
    name: str = "",
    source: str = DEFAULT_SOURCE,
    quotas: Mapping[str, Mapping[str, float]] | None = None,
    description: str = "",
    avg_following: float = DEFAULT_AVG_FOLLOWING,
    homophily: float = DEFAULT_HOMOPHILY,
    is_demo: bool = False,
    progress: Progress | None = None,
) -> Panel:
    """``n`` personas drawn from ``source`` to ``quotas`` (percent per category), with a follow graph."""
    require_role(actor_role(organization, actor), roles.WRITE, "create panels")
    resolved = check_population(
        n=n, seed=seed, source=source, quotas=quotas, avg_following=avg_following, homophily=homophily
    )
    avg_following = min(avg_following, n - 1)
    tell = progress or (lambda phase, done: None)
    tell("drawing respondents", 0)
    try:
        sampled = sample_population(
            n,
            source=source,
            quotas=resolved or None,
            seed=seed,
            progress=lambda done: tell("drawing respondents", done),
        )
    except (SamplingError, SourceUnavailable) as exc:
        raise ApplicationError(f"The quotas cannot be met: {exc}.", fields={"quotas": [str(exc)]}) from None
    rows = []
    for index, person in enumerate(sampled, start=1):
        rows.append(_sampled_persona(organization, person, seed))
        if index % 1000 == 0:
            tell("writing persona cards", index)
    tell("building the follow graph", n)
    edges = synthetic_follow_graph(sampled, seed=seed, avg_following=avg_following, homophily=homophily)
    tell("saving", n)
    with transaction.atomic():
        return _store_population(
            organization, actor, sampled, rows, edges,
            name=(name or f"{n:,} sampled from {source} (seed {seed})").strip()[:120],
            description=description, is_demo=is_demo,
            settings={
                "source": source, "n": n, "seed": seed, "quotas": resolved,
                "graph": {"avg_following": avg_following, "homophily": homophily},
            },
        )  # fmt: skip


def _store_population(
    organization,
    actor: Actor | None,
    sampled: Sequence[SampledPersona],
    rows: list[Persona],
    edges: Sequence[tuple[str, str]],
    *,
    name: str,
    description: str,
    is_demo: bool,
    settings: dict,
) -> Panel:
    panel = Panel.objects.create(
        organization=organization,
        name=name,
        description=description.strip(),
        kind=Panel.Kind.POPULATION,
        is_demo=is_demo,
        created_by=actor_user(actor),
        settings=settings,
    )
    personas = Persona.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    by_key = {p.persona_id: row for p, row in zip(sampled, personas, strict=True)}
    PanelMember.objects.bulk_create(
        [PanelMember(organization=organization, panel=panel, persona=row) for row in personas],
        batch_size=INSERT_BATCH,
    )
    for start in range(0, len(edges), INSERT_BATCH * 10):  # built a slice at a time: millions at 100,000
        FollowEdge.objects.bulk_create(
            [
                FollowEdge(organization=organization, panel=panel, follower=by_key[a], followee=by_key[b])
                for a, b in edges[start : start + INSERT_BATCH * 10]
            ],
            batch_size=INSERT_BATCH,
        )
    return panel


def _board_members(members: Sequence[BoardMember] | None, bios: str) -> list[BoardMember]:
    if members is None and bios.strip():
        try:
            members = parse_bios(bios)
        except BioParseError as exc:
            raise ApplicationError(
                f"The bios could not be read: {exc}.", fields={"bios": [str(exc)]}
            ) from None
    members = list(default_board() if members is None else members)
    if not 2 <= len(members) <= MAX_BOARD:
        raise ApplicationError(f"A board has between 2 and {MAX_BOARD} members; this one has {len(members)}.")
    names = [m.name.strip().casefold() for m in members]
    if any(not name for name in names) or len(set(names)) != len(names):
        raise ApplicationError("Every board member needs a name, and names must differ.")
    if sum(m.is_chair for m in members) > 1:
        raise ApplicationError("Only one member can chair the board.")
    return members


def _handle(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:100] or "member"
    handle, number = base, 2
    while handle in taken:
        handle, number = f"{base}_{number}", number + 1
    taken.add(handle)
    return handle


@transaction.atomic
def panel_create_board(
    *,
    organization,
    actor: Actor | None,
    name: str = "",
    members: Sequence[BoardMember] | None = None,
    bios: str = "",
    description: str = "",
    is_demo: bool = False,
) -> Panel:
    """A virtual board from ``members`` (a form), pasted ``bios``, or, with neither, the default board."""
    require_role(actor_role(organization, actor), roles.WRITE, "create panels")
    chosen = _board_members(members, bios)
    panel = Panel.objects.create(
        organization=organization,
        name=(name or "Virtual board").strip()[:120],
        description=description.strip(),
        kind=Panel.Kind.BOARD,
        is_demo=is_demo,
        created_by=actor_user(actor),
    )
    taken: set[str] = set()
    for member in chosen:
        card = board_card(member)
        persona = Persona.objects.create(
            organization=organization,
            handle=_handle(member.name, taken),
            display_name=member.name,
            origin=Persona.Origin.BOARD,
            bio=member.background,
            card=card.text,
            card_tokens=card.tokens,
            traits={
                "role": member.role,
                "priorities": list(member.priorities),
                "objections": list(member.objections),
                "speaking_style": member.speaking_style,
            },
            propensities={"reply": 0.5, "post": 0.1},  # in a meeting everyone speaks when given the floor
            activity_rate=1.0,
            interests=", ".join(member.priorities),
        )
        PanelMember.objects.create(
            organization=organization,
            panel=panel,
            persona=persona,
            role=member.role,
            is_chair=member.is_chair,
        )
    return panel
