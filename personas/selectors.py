"""Reads of personas and panels; always given the organization (or a panel already checked against it)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404

from personas.builders.graphs import graph_summary
from personas.builders.population_data import SourceUnavailable
from personas.builders.sampling import source_fields, source_marginals
from personas.models import FollowEdge, HistoryItem, Panel, PanelMember, PanelShare, Persona, PopulationJob
from simnet.tenancy.access import get_for_org

MAX_CHART_CATEGORIES = 12  # a trait with more distinct values is not categorical (age, free text)
GRAPH_CACHE_SECONDS = 24 * 3600
GRAPH_TRAITS = ("party", "role", "platform", "language", "age_group")
_TRAIT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


# --- panels ------------------------------------------------------------------------------------


def panel_list(*, organization) -> QuerySet[Panel]:
    """Own panels and panels shared with the organization, with their member counts."""
    return (
        Panel.objects.visible_to(organization)
        .select_related("organization")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("-is_demo", "-created_at", "-id")
    )


def panel_get(*, organization, panel_id: int) -> Panel:
    """A panel the organization owns or that was shared with it; 404 otherwise."""
    panel = Panel.objects.visible_to(organization).select_related("organization").filter(pk=panel_id).first()
    if panel is None:
        raise Http404("No panel found")
    return panel


def panel_owned(*, organization, panel_id: int) -> Panel:
    """A panel the organization owns (for edits); 404 otherwise, shared ones included."""
    return get_for_org(Panel.objects, organization, pk=panel_id)


def population_job_get(*, organization, job_id: int) -> PopulationJob:
    """A sampling job of the organization; 404 otherwise."""
    return get_for_org(PopulationJob.objects, organization, pk=job_id)


def panel_editable_list(*, organization) -> QuerySet[Panel]:
    return Panel.objects.for_org(organization).order_by("name", "pk")


def panel_shares(*, panel: Panel) -> QuerySet[PanelShare]:
    return PanelShare.objects.filter(panel=panel).select_related("shared_with").order_by("created_at")


def panel_members(
    *, panel: Panel, search: str = "", origin: str = "", trait: str = "", value: str = ""
) -> QuerySet[PanelMember]:
    """Members of ``panel`` matching the search (handle, name, bio) and an optional trait value."""
    members = panel.memberships.select_related("persona").order_by(
        "-is_chair", "persona__handle", "persona_id"
    )
    if search.strip():
        term = search.strip().lstrip("@")
        members = members.filter(
            Q(persona__handle__icontains=term)
            | Q(persona__display_name__icontains=term)
            | Q(persona__bio__icontains=term)
        )
    if origin in Persona.Origin.values:
        members = members.filter(persona__origin=origin)
    if trait and _TRAIT_KEY.match(trait) and value:
        if trait == "role":
            members = members.filter(Q(role=value) | Q(persona__traits__role=value))
        else:
            members = members.filter(**{f"persona__traits__{trait}": value})
    return members


@dataclass(frozen=True)
class TraitChart:
    """One trait of a panel as shares per category, next to the source's and the quota's when known."""

    trait: str
    categories: list[str]
    panel: list[float]
    source: list[float] | None = None
    target: list[float] | None = None
    counts: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[tuple[str, int, float, float | None, float | None]]:
        """(category, members, panel share, source share, quota share) per category."""
        return [
            (
                category,
                self.counts[i],
                self.panel[i],
                self.source[i] if self.source else None,
                self.target[i] if self.target else None,
            )
            for i, category in enumerate(self.categories)
        ]


def panel_trait_charts(*, panel: Panel) -> list[TraitChart]:
    """Distributions of the members' categorical traits (and board roles), population ones against the source."""
    rows = list(panel.memberships.values_list("persona__traits", "role"))
    n = len(rows)
    if not n:
        return []
    counters: dict[str, Counter[str]] = {}
    for traits, role in rows:
        # The role on this panel stands in for a "role" trait (a board member carries both): one count each.
        values = {**(traits or {}), **({"role": role} if role else {})}
        for key, value in values.items():
            if isinstance(value, str) and value:
                counters.setdefault(key, Counter())[value] += 1
    population = _population_fields(panel)
    charts = []
    for key, counts in counters.items():
        if len(counts) > MAX_CHART_CATEGORIES and key not in population:
            continue
        categories = list(population.get(key) or sorted(counts, key=lambda c: (-counts[c], c)))
        categories += [c for c in counts if c not in categories]
        chart = TraitChart(
            trait=key,
            categories=categories,
            panel=[counts[c] / n for c in categories],
            counts=[counts[c] for c in categories],
        )
        if key in population:
            chart = _with_source(panel, chart)
        charts.append(chart)
    order = list(population) + sorted(k for k in counters if k not in population)
    return sorted(charts, key=lambda c: order.index(c.trait))


def _population_fields(panel: Panel) -> dict[str, tuple[str, ...]]:
    source = (panel.settings or {}).get("source")
    if panel.kind != Panel.Kind.POPULATION or not source:
        return {}
    try:
        return source_fields(source)
    except SourceUnavailable:
        return {}


def _with_source(panel: Panel, chart: TraitChart) -> TraitChart:
    source = panel.settings["source"]
    shares = source_marginals(source, chart.trait)
    quota = (panel.settings.get("quotas") or {}).get(chart.trait)
    target = None
    if quota:
        scale = 100.0 if any(v > 1 for v in quota.values()) else 1.0
        target = [quota.get(c, 0.0) / scale if c in quota else None for c in chart.categories]
    return TraitChart(
        trait=chart.trait,
        categories=chart.categories,
        panel=chart.panel,
        source=[shares.get(c, 0.0) for c in chart.categories],
        target=target,
        counts=chart.counts,
    )


def panel_graph_summary(*, panel: Panel) -> dict[str, Any]:
    """Shape of the panel's follow graph (cached until members or edges change)."""
    edges = FollowEdge.objects.filter(panel=panel)
    stats = edges.aggregate(count=Count("id"), last=Max("id"))
    members = panel.memberships.count()
    key = f"panel-graph:{panel.pk}:{members}:{stats['count']}:{stats['last']}"
    summary = cache.get(key)
    if summary is None:
        node_traits = {
            str(persona_id): {**(traits or {}), **({"role": role} if role else {})}
            for persona_id, traits, role in panel.memberships.values_list(
                "persona_id", "persona__traits", "role"
            )
        }
        trait = next((t for t in GRAPH_TRAITS if any(t in v for v in node_traits.values())), None)
        pairs = ((str(a), str(b)) for a, b in edges.values_list("follower_id", "followee_id"))
        summary = graph_summary(pairs, members, node_traits=node_traits, trait=trait).to_dict()
        cache.set(key, summary, GRAPH_CACHE_SECONDS)
    return summary


# --- personas ------------------------------------------------------------------------------------


def panel_persona(*, panel: Panel, persona_id: int) -> PanelMember:
    """The membership of ``persona_id`` on a panel the caller may see; 404 when not a member."""
    member = (
        panel.memberships.select_related("persona", "persona__source_account")
        .filter(persona_id=persona_id)
        .first()
    )
    if member is None:
        raise Http404("No persona found")
    return member


def persona_list(
    *, organization, panel_id: int | None = None, origin: str = "", search: str = ""
) -> QuerySet[Persona]:
    """Personas the organization may see (own, and members of panels shared with it)."""
    personas = Persona.objects.visible_to(organization).select_related("source_account")
    if panel_id is not None:
        if not Panel.objects.visible_to(organization).filter(pk=panel_id).exists():
            return personas.none()
        personas = personas.filter(panel_memberships__panel_id=panel_id)
    if origin:
        personas = personas.filter(origin=origin)
    if search.strip():
        term = search.strip().lstrip("@")
        personas = personas.filter(
            Q(handle__icontains=term) | Q(display_name__icontains=term) | Q(bio__icontains=term)
        )
    return personas.order_by("handle", "pk")


def persona_get(*, organization, persona_id: int) -> Persona:
    persona = (
        Persona.objects.visible_to(organization)
        .select_related("source_account")
        .filter(pk=persona_id)
        .first()
    )
    if persona is None:
        raise Http404("No persona found")
    return persona


def persona_history(
    *, persona: Persona, kind: str = "", held_out_only: bool = False
) -> QuerySet[HistoryItem]:
    """The persona's real history, newest first (empty for sampled, board and hand-written personas);
    ``held_out_only``: just the items kept back from the profile for backtests."""
    if persona.source_account_id is None:
        return HistoryItem.objects.for_org(persona.organization_id).none()
    items = HistoryItem.objects.filter(account=persona.source_account).order_by(
        F("created_at").desc(nulls_last=True), "-id"
    )
    if held_out_only:
        items = items.filter(held_out=True)
    return items.filter(kind=kind) if kind else items


def profile_explanations(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, why)`` pairs of a derived or sampled profile, for the persona page."""
    explain = profile.get("explain") or {}
    return [(key.replace("_", " ").capitalize(), text) for key, text in explain.items()]
